// Plugins: the contract the server owns (contract.ts) and the narrow services it builds for them (services.ts).
export * from './contract.ts';
// What a plugin says of an error it met (in refusals and messages; logs take the error as `{ err }`).
export { messageOf } from '../errors/index.ts';
export { pluginServices, type ServerServices } from './services.ts';
