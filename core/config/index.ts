// Process settings come from environment variables (settings.ts, the only module that reads the
// environment); server configuration properties (Janssen names, declared in properties.ts) from
// defaults, then the DCR_CONFIG file (configuration.ts).
export { buildConfig, ConfigHolder, loadConfigFile } from './configuration.ts';
export { prepareDataDir } from './dataDir.ts';
export { PACKAGE_ROOT, VERSION } from './package.ts';
export { PUBLISHED_PROPERTIES, SECURITY_PROPERTIES, ServerProperties, describeProperties, type AuthorizationServerSettings, type ServerConfig, type PropertyDoc, type PublishedProperty, type WhenAbsent } from './properties.ts';
export { commandLineEnvironment, environmentEncryptionKey, environmentPreviousKeys, ENVIRONMENT, readSettings, type CommandLineEnvironment, type Settings } from './settings.ts';
