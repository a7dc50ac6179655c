// Adds one member to the registration response (not stored), e.g. a link to the registration
// policy the client agreed to.
/** @type {import('./registrar.d.ts').ModifyResponse<{ member: string, value: unknown }>} */
export function modifyPostResponse(response, context) {
  // Returning the new body sends back just the response; `return true` after editing it in
  // place would also work, but sends back the context too.
  return { ...response, [context.properties.member]: context.properties.value };
}
