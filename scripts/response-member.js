// Adds one member to the registration response (not stored), e.g. a link to the registration
// policy the client agreed to.
/** @type {import('./registrar.d.ts').ModifyResponse<{ member: string, value: unknown }>} */
export function modifyPostResponse(response, context) {
  response[context.properties.member] = context.properties.value;
  return true;
}
