// Backup and restore of the embedded store as docs/operations.md says to do them: `registrar
// backup FILE` while the server serves, then the copy put in place of registrar.db (with the same
// encryption key) in a new data folder, or in the old one, while the server is stopped.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { startProcess, stopProcess } from '../helpers/process.ts';
import { freePort, httpRequest, tempDir } from '../helpers/server.ts';

const CLI = new URL('../../core/cli/registrar.ts', import.meta.url).pathname;
const exec = promisify(execFile);

describe('backup and restore of the embedded store', () => {
  it('copies the store while it serves; the copy, restored with the key, starts and holds every client registered before the backup', async () => {
    const [dataDir, restored, spare] = [tempDir(), tempDir(), tempDir()];
    const key = randomBytes(32).toString('base64');
    const env = { PORT: String(await freePort()), DCR_HOST: '127.0.0.1', DCR_DATA_DIR: dataDir, DCR_SCRIPTS_OPTIONAL: 'true', DCR_SCRIPTS_DIR: join(dataDir, 'none'), DCR_ENCRYPTION_KEY: key };
    const register = (url: string) => httpRequest(`${url}/register`, 'POST', { json: { redirect_uris: ['https://client.example.org/cb'] } });
    try {
      let running = await startProcess(env);
      const before = await Promise.all(Array.from({ length: 20 }, () => register(running.url)));
      // The backup runs while registrations keep coming.
      const during = Promise.all(Array.from({ length: 20 }, () => register(running.url)));
      const backupFile = join(spare, 'registrar-backup.db');
      const { stdout } = await exec(process.execPath, ['--no-node-snapshot', '--disable-warning=ExperimentalWarning', CLI, 'backup', backupFile], { env: { ...process.env, DCR_DATA_DIR: dataDir } });
      assert.match(stdout, /^backed up .*registrar\.db to .*registrar-backup\.db \(\d+ pages\); keep the encryption key with it\n$/);
      await during;
      const after = await register(running.url);
      assert.equal(await stopProcess(running), 0);

      // Into a new data folder.
      copyFileSync(backupFile, join(restored, 'registrar.db'));
      running = await startProcess({ ...env, DCR_DATA_DIR: restored });
      for (const client of before) {
        const read = await httpRequest(`${running.url}/register/${client.json.client_id}`, 'GET', { token: client.json.registration_access_token });
        assert.equal(read.status, 200, `${client.json.client_id} was registered before the backup`);
      }
      assert.equal((await httpRequest(`${running.url}/register/${after.json.client_id}`, 'GET', { token: after.json.registration_access_token })).status, 401, 'registered after the backup: not in it');
      assert.equal(await stopProcess(running), 0);

      // Into the same folder: the same store (its identity matches store.json), as it was at the backup.
      for (const suffix of ['', '-wal', '-shm']) rmSync(join(dataDir, `registrar.db${suffix}`), { force: true });
      copyFileSync(backupFile, join(dataDir, 'registrar.db'));
      running = await startProcess(env);
      assert.equal((await httpRequest(`${running.url}/register/${before[0]!.json.client_id}`, 'GET', { token: before[0]!.json.registration_access_token })).status, 200);
      assert.equal(await stopProcess(running), 0);
    } finally {
      for (const dir of [dataDir, restored, spare]) rmSync(dir, { recursive: true, force: true });
    }
  });
});
