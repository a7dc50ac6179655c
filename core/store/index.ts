export type { ClientRecord, ClientStore } from './types.ts';
export { EmbeddedStore } from './embedded.ts';
