import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildConfig, describeProperties, readSettings } from '../../core/config/index.ts';

describe('configuration', () => {
  it('every property has a default and a description', () => {
    for (const property of describeProperties()) {
      assert.notEqual(property.default, undefined, property.name);
      assert.ok(property.description.length > 10, property.name);
    }
  });

  it('refuses unknown properties, wrong types and inconsistent defaults with a TypeError naming them', () => {
    assert.throws(() => buildConfig({ dynamicRegistrationEnabledd: true }), { name: 'TypeError', message: /unknown property "dynamicRegistrationEnabledd"/ });
    assert.throws(() => buildConfig({ dynamicRegistrationExpirationTime: 'soon' }), { name: 'TypeError', message: /dynamicRegistrationExpirationTime/ });
    assert.throws(() => buildConfig({ defaultSubjectType: 'pairwise', subjectTypesSupported: ['public'] }), { name: 'TypeError', message: /defaultSubjectType/ });
  });

  it('takes one authorization server connection of a known type, with one pair of Keycloak credentials', () => {
    assert.equal(buildConfig({}).authorizationServer, null);
    assert.equal(buildConfig({ authorizationServer: { type: 'hydra', adminUrl: 'http://hydra:4445', issuer: 'http://hydra:4444' } }).authorizationServer?.type, 'hydra');
    assert.throws(() => buildConfig({ authorizationServer: { type: 'hydra', adminUrl: 'hydra:4445', issuer: 'http://hydra:4444' } }), { name: 'TypeError', message: /authorizationServer/ });
    assert.throws(() => buildConfig({ authorizationServer: { type: 'auth0' } }), { name: 'TypeError', message: /authorizationServer/ });
    const keycloak = { type: 'keycloak', url: 'http://kc:8080', realm: 'demo' };
    assert.throws(() => buildConfig({ authorizationServer: keycloak }), { name: 'TypeError', message: /adminClientId and adminClientSecret, or adminUsername and adminPassword/ });
    assert.throws(() => buildConfig({ authorizationServer: { ...keycloak, adminClientId: 'a', adminClientSecret: 's', adminUsername: 'u', adminPassword: 'p' } }), { name: 'TypeError', message: /one pair/ });
    assert.equal(buildConfig({ authorizationServer: { ...keycloak, adminUsername: 'u', adminPassword: 'p' } }).authorizationServer?.type, 'keycloak');
  });

  it('coerces a run-time patch only where it needs it, and keeps its nulls', () => {
    const patched = buildConfig({ decisionLogRetentionDays: '7', dynamicRegistrationEnabled: 'false', dcrSignatureValidationSharedSecret: null }, { coerce: true });
    assert.equal(patched.decisionLogRetentionDays, 7);
    assert.equal(patched.dynamicRegistrationEnabled, false);
    assert.equal(patched.dcrSignatureValidationSharedSecret, null);
    assert.throws(() => buildConfig({ decisionLogRetentionDays: '7' }), { name: 'TypeError', message: /decisionLogRetentionDays/ });
    assert.throws(() => buildConfig({ decisionLogRetentionDays: 'soon' }, { coerce: true }), { name: 'TypeError', message: /decisionLogRetentionDays/ });
  });

  it('is frozen', () => {
    const config = buildConfig({});
    assert.throws(() => {
      (config as { dynamicRegistrationEnabled: boolean }).dynamicRegistrationEnabled = false;
    });
    assert.throws(() => (config.scopesSupported as string[]).push('x'));
  });

  it('reads the environment with documented defaults', () => {
    const settings = readSettings({});
    assert.equal(settings.port, 8080);
    assert.equal(settings.host, '0.0.0.0');
    assert.equal(settings.issuer, 'http://localhost:8080');
    assert.match(settings.dataDir, /\/data$/);
    assert.match(settings.scriptsDir, /\/scripts$/);
    assert.equal(readSettings({ PORT: '9000' }).issuer, 'http://localhost:9000');
    assert.equal(readSettings({ DCR_ISSUER: 'https://x.example/base/' }).issuer, 'https://x.example/base');
    assert.throws(() => readSettings({ DCR_ISSUER: 'not a url' }), TypeError);
    assert.equal(readSettings({}).workers, 1);
    assert.equal(readSettings({ DCR_WORKERS: '3' }).workers, 3);
    assert.equal(readSettings({ DCR_WORKERS: 'auto' }).workers, availableParallelism());
    for (const bad of ['0', '-1', '1.5', 'many']) assert.throws(() => readSettings({ DCR_WORKERS: bad }), /DCR_WORKERS must be/);
    assert.throws(() => readSettings({ PORT: '70000' }), TypeError);
    // With the HTTPS listener, the default issuer is https.
    const dir = mkdtempSync(join(tmpdir(), 'registrar-tls-'));
    writeFileSync(join(dir, 'cert.pem'), 'cert');
    writeFileSync(join(dir, 'key.pem'), 'key');
    assert.equal(readSettings({ PORT: '8443', DCR_TLS_CERT_FILE: join(dir, 'cert.pem'), DCR_TLS_KEY_FILE: join(dir, 'key.pem') }).issuer, 'https://localhost:8443');
    rmSync(dir, { recursive: true, force: true });
  });
});
