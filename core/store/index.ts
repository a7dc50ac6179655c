import type { Logger } from 'pino';
import type { Settings } from '../config/index.ts';
import { EmbeddedStore } from './embedded/index.ts';
import { MongoStore } from './mongo/index.ts';
import type { Store } from './roles.ts';

export {
  indexedValues,
  type AdminClientRecord,
  type ClientFilter,
  type ClientRecord,
  type ConfigChange,
  type DecisionFilter,
  type DecisionRecord,
  type InitialAccessTokenRecord,
  type ProcessReport,
  type ScriptDecision,
  type StoredConfig,
} from './records.ts';
export type { Administration, ClientRecords, ConfigurationRecords, DecisionLog, FleetRecords, QuotaPlaces, Store } from './roles.ts';
export { markUsed } from './usage.ts';
export { MongoStore, redact } from './mongo/index.ts';
export { EmbeddedStore } from './embedded/index.ts';
export { backupEmbedded } from './embedded/backup.ts';
export { tracedStore } from './traced.ts';

/** The embedded store in DCR_DATA_DIR, its files watched as the settings say. */
export function embeddedStore(settings: Settings, logger: Logger): EmbeddedStore {
  return new EmbeddedStore(settings.dataDir, { logger, acceptLoss: settings.acceptStoreLoss, minFreeBytes: settings.storeMinFreeMb * 1024 * 1024 });
}

/** MongoDB when MONGODB_URI is set, otherwise the embedded store in DCR_DATA_DIR. */
export async function openStore(settings: Settings, logger: Logger): Promise<Store> {
  if (settings.mongodbUri) {
    // Instances sharing MongoDB must share the key too: a generated per-instance dev key would
    // leave each unable to read the others' client secrets.
    if (!settings.encryptionKey) throw new TypeError('DCR_ENCRYPTION_KEY is required with MONGODB_URI');
    return MongoStore.connect({ uri: settings.mongodbUri, database: settings.mongodbDatabase, logger, revisionClaims: settings.mongodbRevisionClaims });
  }
  return embeddedStore(settings, logger);
}
