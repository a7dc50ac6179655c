// The narrow services plugins get, built once by the composition root over the real ones.
import type { Logger } from 'pino';
import type { ConfigHolder } from '../config/index.ts';
import { getJson, outboundPolicy } from '../outbound/index.ts';
import type { ClientRecords } from '../store/index.ts';
import type { RemoteKeySets } from '../trust/index.ts';
import type { PluginServices } from './contract.ts';
import { pluginFiles } from './files.ts';

export interface ServerServices {
  logger: Logger;
  clients: ClientRecords;
  config: ConfigHolder;
  clock: () => number;
  keySets: RemoteKeySets;
  /** DCR_PLUGIN_FILES_DIR. */
  filesDir: string;
}

export function pluginServices({ logger, clients, config, clock, keySets, filesDir }: ServerServices): PluginServices {
  return {
    readFile: pluginFiles(filesDir),
    logger,
    clock,
    clients: {
      count: (filter) => clients.count(filter, clock()),
      async find(filter, limit) {
        const found = await clients.query(filter, clock(), limit);
        return found.map((record) => ({ client_id: record.clientId, client_id_issued_at: record.clientIdIssuedAt, ...record.metadata }));
      },
    },
    fetchJson: (url, signal, headers) => getJson(url, outboundPolicy(config.current), signal, headers),
    keySets: { get: (url) => keySets.get(url) },
  };
}
