// Network addresses: which ones are private, lists of trusted networks, the one rule that decides
// which address a request comes from, and the resolver for names clients give.
export { inAddressList, isPrivateAddress, parseCidr, unmapped } from './addresses.ts';
export { clientAddress, fromTrustedProxy } from './clientAddress.ts';
export { AddressResolver, clientNames, parseHosts, type Resolution, type ResolverSettings } from './resolver.ts';
