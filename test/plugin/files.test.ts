// Plugin files (DCR_PLUGIN_FILES_DIR): confined to their folder, regular files only, never a symbolic link.
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { adminToken, startAdminServer } from '../helpers/admin.ts';

const WEB = { redirect_uris: ['https://client.example.org/cb'] };

describe('plugin files, confined', () => {
  test('trustAnchorsFile outside the folder, a directory, a FIFO, a symbolic link or a missing file is refused without a look; a file inside is read', async () => {
    const server = await startAdminServer({}, {});
    try {
      const admin = await adminToken(server.url);
      const files = join(server.dataDir, 'plugin-files');
      writeFileSync(join(files, 'anchor.pem'), 'not a certificate at all');
      mkdirSync(join(files, 'folder'));
      execFileSync('mkfifo', [join(files, 'pipe')]);
      symlinkSync('/etc/hostname', join(files, 'link.pem'));
      const probe = `export async function createClient(context) {
        const answer = await host.directory.validateChain(context.client.client_name ?? '').catch((err) => ({ error: err.message }));
        context.client.client_name = JSON.stringify(answer);
        return true;
      }`;
      const reached: Record<string, string> = {};
      for (const file of ['/etc/shadow', '../../etc/hostname', 'folder', 'pipe', 'link.pem', 'missing.pem', 'anchor.pem']) {
        const settings = { plugins: { directory: { trustAnchorsFile: file } } };
        const report = await server.request('POST', '/admin/scripts/probe/replay', { token: admin, json: { source: probe, settings } });
        // Replay needs a recorded registration to run the probe against.
        if (report.status === 200 && report.json.total === 0) {
          await server.register(WEB);
          await server.registrar.flushDecisions();
        }
        const again = await server.request('POST', '/admin/scripts/probe/replay', { token: admin, json: { source: probe, settings } });
        assert.equal(again.status, 200, again.text);
        reached[file] = String(again.json.records[0].after.client?.client_name ?? again.json.records[0].after.error);
      }
      assert.match(reached['/etc/shadow']!, /not inside the plugin files folder/);
      assert.match(reached['../../etc/hostname']!, /not inside the plugin files folder/);
      assert.match(reached.folder!, /not a regular file/);
      assert.match(reached.pipe!, /not a regular file/);
      assert.match(reached['link.pem']!, /symbolic link/);
      assert.match(reached['missing.pem']!, /does not exist/);
      assert.match(reached['anchor.pem']!, /no directory trust anchors/, 'the file inside was read (it holds no certificate)');
      for (const answer of Object.values(reached)) assert.doesNotMatch(answer, /root:|ENOENT|EISDIR|vm\n/);
    } finally {
      await server.close();
    }
  });
});
