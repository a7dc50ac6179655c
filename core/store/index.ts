import type { Logger } from 'pino';
import type { Settings } from '../config/index.ts';
import { EmbeddedStore } from './embedded.ts';
import { MongoStore } from './mongo.ts';
import type { ClientStore } from './types.ts';

export {
  indexedValues,
  type AdminClientRecord,
  type ClientFilter,
  type ClientRecord,
  type ClientStore,
  type ConfigChange,
  type DecisionFilter,
  type DecisionRecord,
  type InitialAccessTokenRecord,
  type ScriptDecision,
  type StoredConfig,
} from './types.ts';
export { MongoStore, redact } from './mongo.ts';
export { EmbeddedStore } from './embedded.ts';

/** The embedded store in DCR_DATA_DIR, its files watched as the settings say. */
export function embeddedStore(settings: Settings, logger: Logger): EmbeddedStore {
  return new EmbeddedStore(settings.dataDir, { logger, acceptLoss: settings.acceptStoreLoss, minFreeBytes: settings.storeMinFreeMb * 1024 * 1024 });
}

/** MongoDB when MONGODB_URI is set, otherwise the embedded store in DCR_DATA_DIR. */
export async function openStore(settings: Settings, logger: Logger): Promise<ClientStore> {
  if (settings.mongodbUri) {
    // Instances sharing MongoDB must share the key too: a generated per-instance dev key would
    // leave each unable to read the others' client secrets.
    if (!settings.encryptionKey) throw new TypeError('DCR_ENCRYPTION_KEY is required with MONGODB_URI');
    return MongoStore.connect({ uri: settings.mongodbUri, database: settings.mongodbDatabase, logger, revisionClaims: settings.mongodbRevisionClaims });
  }
  return embeddedStore(settings, logger);
}
