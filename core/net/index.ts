// Network addresses: which ones are private, lists of trusted networks, and the one rule that
// decides which address a request comes from.
export { inAddressList, isPrivateAddress, parseCidr, unmapped } from './addresses.ts';
export { clientAddress, fromTrustedProxy } from './clientAddress.ts';
