// Adds one member to the registration response (not stored), e.g. a link to the registration
// policy the client agreed to.
/**
 * @param {import('./registrar.d.ts').ClientResponse} response
 * @param {import('./registrar.d.ts').HookContext<{ member: string, value: unknown }>} context
 */
export function modifyPostResponse(response, context) {
  // Returning the new body sends back just the response; `return true` after editing it in
  // place would also work, but sends back the context too.
  return { ...response, [context.properties.member]: context.properties.value };
}
