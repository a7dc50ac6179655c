export { indexedValues, type ClientFilter, type ClientRecord, type ClientStore } from './types.ts';
export { EmbeddedStore } from './embedded.ts';
