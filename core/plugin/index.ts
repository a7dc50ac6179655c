// Plugins: the contract the server owns (contract.ts) and the narrow services it builds for them (services.ts).
export * from './contract.ts';
export { pluginServices, type ServerServices } from './services.ts';
