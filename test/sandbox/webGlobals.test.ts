// The web globals of a script isolate, checked against Node's own implementations: the same
// inputs parsed, encoded and cloned inside an isolate and here must give the same answers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ScriptIsolate } from '../../core/sandbox/isolate.ts';
import { startScriptServer } from '../helpers/scripts.ts';
import { WEB_CLIENT } from '../helpers/server.ts';

const PROBE = `
const fields = ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash'];
export function urls(cases) {
  return cases.map(([input, base]) => {
    try {
      const url = base === undefined ? new URL(input) : new URL(input, base);
      return Object.fromEntries(fields.map((field) => [field, url[field]]));
    } catch (error) {
      return { error: error instanceof TypeError };
    }
  });
}
export function run(source) {
  return (0, eval)(source);
}
`;

const URL_CASES: Array<[string, string?]> = [
  ['https://client.example.org/cb'],
  ['HTTPS://Client.Example.ORG:443/a/b/../c/./d?x=1&y=%20z#Frag'],
  ['https://client.example.org:8443/cb?'],
  ['https://client.example.org/cb#'],
  ['http://127.0.0.1:3000/callback'],
  ['http://localhost/callback'],
  ['http://[::1]:8080/cb'],
  ['http://[2001:DB8:0:0:0:0:0:1]/'],
  ['http://[::ffff:192.168.0.1]/'],
  ['http://[1:0:0:2:0:0:0:3]/'],
  ['http://0x7f.1/'],
  ['http://2130706433/'],
  ['http://0177.0.0.1/'],
  ['http://1.2.3.4.5/'],
  ['http://256.0.0.1/'],
  ['https://user:pa ss@host.example/p'],
  ['https://us@er@host.example/p'],
  ['https://bücher.example/straße'],
  // UTS #46 as browsers apply it: disguised forms of one host map to it.
  ['https://ｅｖｉｌ.example/cb'],
  ['https://ev\u00adil.example/cb'],
  ['https://evil\u3002example/cb'],
  ['https://EVIL.example/cb'],
  ['https://evil.exa%6Dple/cb'],
  ['https://ⅇvil.example/cb'],
  ['https://evil.example\u2028/cb'],
  ['https://evil.example/\u202Ecb'],
  ['https://xn--bcher-kva.example/'],
  ['https://faß.de/'],
  ['https://a\u200Db.example/'],
  ['https://例え.テスト/パス?クエリ#フラグメント'],
  ['https://host.example/a b<c>"d`e{f}g^h|i'],
  ['https://host.example/?q=a b"c<d>e\'f#g h`i'],
  ['https://host.example/%2e%2E/x/%2e/y'],
  ['https://host.example/a/..'],
  ['https://host.example/a/.'],
  ['https://host.example\\path\\to'],
  ['https:/host.example/cb'],
  ['https:host.example/cb'],
  ['https:///host.example/cb'],
  ['  https://host.example/cb\n\t  '],
  ['https://host.example:/cb'],
  ['https://host.example:65536/cb'],
  ['https://host.example:80/cb'],
  ['http://host.example:80/cb'],
  ['https://exa mple.org/'],
  ['https://exa%20mple.org/'],
  ['https://host%2Eexample/'],
  ['https://'],
  ['https://@host.example/'],
  ['com.example.app:/oauth2redirect'],
  ['com.example.app://callback/path?x'],
  ['myapp://'],
  ['urn:ietf:wg:oauth:2.0:oob'],
  ['mailto:someone@example.org?subject=hi there'],
  ['javascript:alert(1)'],
  ['data:text/plain,hello world'],
  ['file:///etc/passwd'],
  ['file://localhost/etc/hosts'],
  ['file:/tmp/x'],
  ['foo://host:99/p a t h?q r#f g'],
  ['foo:/a/../b'],
  ['not a url'],
  [''],
  ['/relative/path', 'https://base.example/dir/file?q#f'],
  ['relative', 'https://base.example/dir/file?q#f'],
  ['../up', 'https://base.example/dir/sub/file'],
  ['?only=query', 'https://base.example/dir/file?q#f'],
  ['#only-fragment', 'https://base.example/dir/file?q#f'],
  ['', 'https://base.example/dir/file?q#f'],
  ['//other.example/x', 'https://base.example/dir/file'],
  ['http:rel', 'http://base.example/dir/file'],
  ['https://abs.example/', 'https://base.example/'],
  ['x', 'mailto:someone@example.org'],
  ['#frag', 'mailto:someone@example.org'],
  ['a/b', 'foo://host/dir/file'],
  ['https://a.example/%zz/%41'],
  ['HTTP://A.EXAMPLE'],
  ['https://[::]/'],
  ['https://[1::]/'],
  ['https://[::1:2:3:4:5]/'],
  ['https://[1:2:3:4:5:6:7:8:9]/'],
  ['http://[fe80::1%25eth0]/'],
  ['https://host.example./'],
  ['http://0x.0x.0/'],
  ['wss://socket.example:443/x'],
  ['ftp://files.example:21/'],
  ['https://xn--bcher-kva.example/'],
  ['https://a.example/?a=b&c=%zz+d'],
  ['https://a.example/p;x=1'],
  ['sc://ñ.example/'],
  ['sc://a b/'],
  ['https://a.example/\u0000x'],
];

describe('web globals in script isolates', () => {
  let isolate: ScriptIsolate;
  before(async () => {
    isolate = await ScriptIsolate.create({ name: 'probe', file: 'probe.js', code: PROBE, memoryLimitMb: 32, timeoutMs: 2000, granted: {}, dispatch: async () => undefined, pluginBudget: { calls: 50, bytes: 1 << 20 } });
  });
  after(() => isolate.dispose());

  const inIsolate = async (fn: string, args: unknown[]) => {
    const outcome = await isolate.call(fn, args, 2000);
    assert.equal(outcome.kind, 'value');
    return (outcome as { value: unknown }).value;
  };

  it('URL parses and serialises as Node does (WHATWG URL Standard)', async () => {
    const fields = ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash'] as const;
    const expected = URL_CASES.map(([input, base]) => {
      try {
        const url = new URL(input, base);
        return Object.fromEntries(fields.map((field) => [field, url[field]]));
      } catch (error) {
        return { error: error instanceof TypeError };
      }
    });
    const actual = (await inIsolate('urls', [URL_CASES])) as unknown[];
    const differences = URL_CASES.flatMap((testCase, index) =>
      JSON.stringify(actual[index]) === JSON.stringify(expected[index]) ? [] : [{ testCase, isolate: actual[index], node: expected[index] }],
    );
    assert.deepEqual(differences, []);
  });

  it('URL setters, searchParams and URLSearchParams behave as in Node', async () => {
    const source = `(() => {
      const url = new URL('https://host.example/a?x=1&y=2#f');
      url.searchParams.append('z', 'a b&c=d');
      url.searchParams.delete('x');
      const afterParams = url.href;
      url.pathname = '/p q/../r';
      url.hash = '';
      url.port = '8443';
      url.hostname = 'Other.Example';
      url.search = '?k=v w';
      const params = new URLSearchParams('a=1&b=%20+x&a=3&c');
      params.sort();
      return [afterParams, url.href, url.searchParams.get('k'), params.toString(), params.getAll('a'), [...params.keys()], params.has('c'), params.size,
        new URLSearchParams({ 'é': 'ü ~*' }).toString(), new URLSearchParams([['x', '1']]).toString(), URL.canParse('nope'), URL.canParse('a', 'https://b.example')];
    })()`;
    const expected = (0, eval)(source);
    assert.deepEqual(await inIsolate('run', [source]), expected);
  });

  it('TextEncoder, TextDecoder, atob, btoa and structuredClone answer as in Node', async () => {
    const source = `(() => {
      const text = 'héllo wörld 𝄞 \\u{1F600} \\uD800 end';
      const bytes = new TextEncoder().encode(text);
      const target = new Uint8Array(5);
      const into = new TextEncoder().encodeInto('aé𝄞', target);
      let fatal;
      try { new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xc3, 0x28])); } catch (error) { fatal = error instanceof TypeError; }
      let bad;
      try { atob('a'); } catch (error) { bad = error.name; }
      const source = { a: [1, { b: 'c' }], d: new Date(0), m: new Map([['k', new Set([1, 2])]]), u: new Uint8Array([1, 2, 3]), n: null };
      source.self = source;
      const copy = structuredClone(source);
      let cloneError;
      try { structuredClone({ f() {} }); } catch (error) { cloneError = error.name; }
      return [Array.from(bytes), new TextDecoder().decode(bytes), Array.from(target), into,
        new TextDecoder().decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x41, 0xff, 0xe2, 0x82])), fatal,
        btoa('Registrar\\u00ff'), atob('UmVnaXN0cmFy/w=='), atob(' UmVn aXN0 '), bad,
        copy !== source && copy.self === copy, copy.d.getTime(), [...copy.m.get('k')], Array.from(copy.u), copy.a[1].b, cloneError];
    })()`;
    const expected = (0, eval)(source);
    assert.deepEqual(await inIsolate('run', [source]), expected);
  });

  it('each global is, once reached or replaced, a property as browsers have it (writable, configurable, not enumerable)', async () => {
    // A fresh isolate: nothing has reached URL yet (whatwg-url is evaluated on first use).
    const fresh = await ScriptIsolate.create({ name: 'fresh', file: 'fresh.js', code: PROBE, memoryLimitMb: 32, timeoutMs: 2000, granted: {}, dispatch: async () => undefined, pluginBudget: { calls: 50, bytes: 1 << 20 } });
    try {
      const source = `(() => {
        const shape = (name) => { const d = Object.getOwnPropertyDescriptor(globalThis, name); return [typeof d.value, d.writable, d.configurable, d.enumerable]; };
        const before = Object.keys(globalThis).filter((name) => ['URL', 'URLSearchParams', 'TextEncoder', 'atob'].includes(name));
        const host = new URL('https://Registrar.Example/x').host;
        URLSearchParams = 'replaced before it was reached';
        const replaced = URLSearchParams;
        return [before, host, shape('URL'), replaced, shape('URLSearchParams'), typeof TextEncoder, shape('TextEncoder'), atob('YQ=='), shape('atob')];
      })()`;
      const outcome = await fresh.call('run', [source], 2000);
      assert.equal(outcome.kind, 'value');
      assert.deepEqual((outcome as { value: unknown }).value, [
        [],
        'registrar.example',
        ['function', true, true, false],
        'replaced before it was reached',
        ['string', true, true, false],
        'function',
        ['function', true, true, false],
        'a',
        ['function', true, true, false],
      ]);
    } finally {
      fresh.dispose();
    }
  });

  it('a first script taking the host of a redirect URI works', async () => {
    const script = `export function createClient(context) {
      const hosts = context.client.redirect_uris.map((uri) => new URL(uri).hostname);
      return { client_name: 'from ' + hosts.join(',') };
    }`;
    const server = await startScriptServer({ hosts: script });
    try {
      const response = await server.register(WEB_CLIENT);
      assert.equal(response.status, 201, response.text);
      assert.equal(response.json.client_name, `from ${new URL(WEB_CLIENT.redirect_uris[0]!).hostname}`);
    } finally {
      await server.close();
    }
  });
});
