// Trust: what makes a registration's claims believable. JWT verification (jwt.ts), remote key
// sets (keySets.ts), software statements (statement.ts) and signed registration requests
// (signedRequest.ts). Keys a script provides arrive through a KeyResolver, never the policy itself.
export { KeySetError, parseJwks, RemoteKeySets, type JSONWebKeySet } from './keySets.ts';
export { applyStatement, verifySoftwareStatement, type TrustContext, type VerifiedStatement } from './statement.ts';
export { verifySignedRequest, type VerifiedRequest } from './signedRequest.ts';
