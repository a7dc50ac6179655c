// Rotating the encryption key, as an operator does it: restart with the new key as
// DCR_ENCRYPTION_KEY and the old one in DCR_ENCRYPTION_KEY_PREVIOUS; every stored client secret is
// sealed again with the new key in the background; then the old key can go.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { keyId, SecretBox } from '../../core/secrets/index.ts';
import { startProcess, stopProcess } from '../helpers/process.ts';
import { freePort, httpRequest, tempDir } from '../helpers/server.ts';

const storedSecrets = (dataDir: string) => {
  const db = new DatabaseSync(join(dataDir, 'registrar.db'), { readOnly: true });
  try {
    return (db.prepare("SELECT client_id, json_extract(doc, '$.secret') AS secret FROM clients").all() as Array<{ client_id: string; secret: string }>).map((row) => ({ clientId: row.client_id, secret: row.secret }));
  } finally {
    db.close();
  }
};

describe('rotating the encryption key', () => {
  it('reads secrets sealed with the previous key, seals them again with the new one, and needs the old key no more', async () => {
    const dataDir = tempDir();
    const [oldKey, newKey] = [randomBytes(32), randomBytes(32)];
    const env = { PORT: String(await freePort()), DCR_HOST: '127.0.0.1', DCR_DATA_DIR: dataDir, DCR_SCRIPTS_OPTIONAL: 'true', DCR_SCRIPTS_DIR: join(dataDir, 'none'), DCR_LOG_LEVEL: 'info' };
    try {
      let running = await startProcess({ ...env, DCR_ENCRYPTION_KEY: oldKey.toString('base64') });
      const issued: Array<{ id: string; secret: string; token: string }> = [];
      for (let i = 0; i < 3; i += 1) {
        const created = await httpRequest(`${running.url}/register`, 'POST', { json: { redirect_uris: ['https://client.example.org/cb'] } });
        issued.push({ id: created.json.client_id, secret: created.json.client_secret, token: created.json.registration_access_token });
      }
      assert.equal(await stopProcess(running), 0);
      for (const { secret } of storedSecrets(dataDir)) assert.match(secret, new RegExp(`^v2\\.${keyId(oldKey)}\\.`));

      running = await startProcess({ ...env, DCR_ENCRYPTION_KEY: newKey.toString('base64'), DCR_ENCRYPTION_KEY_PREVIOUS: oldKey.toString('hex') });
      const deadline = Date.now() + 10_000;
      while (!running.stdout().includes('sealed again with the current encryption key') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      const line = running.stdout().split('\n').find((each) => each.includes('sealed again with the current encryption key'));
      assert.ok(line, running.stdout());
      assert.deepEqual((({ resealed, raced, unreadable }) => ({ resealed, raced, unreadable }))(JSON.parse(line)), { resealed: 3, raced: 0, unreadable: 0 });
      assert.equal(await stopProcess(running), 0);
      const box = new SecretBox(newKey);
      for (const { clientId, secret } of storedSecrets(dataDir)) {
        assert.match(secret, new RegExp(`^v2\\.${keyId(newKey)}\\.`));
        assert.equal(box.open(secret, clientId), issued.find((client) => client.id === clientId)!.secret, 'the same secret, sealed anew');
      }

      // The old key gone: everything reads with the new one alone (an update opens the stored secret to compare).
      running = await startProcess({ ...env, DCR_ENCRYPTION_KEY: newKey.toString('base64') });
      const client = issued[0]!;
      const updated = await httpRequest(`${running.url}/register/${client.id}`, 'PUT', {
        token: client.token,
        json: { client_id: client.id, client_secret: client.secret, redirect_uris: ['https://client.example.org/cb'], client_name: 'renamed' },
      });
      assert.equal(updated.status, 200, updated.text);
      assert.equal(updated.json.client_name, 'renamed');
      assert.equal(await stopProcess(running), 0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
