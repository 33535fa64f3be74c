/** The file `init` writes: valid, commented, and a faithful rendering of its document. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initDocument } from '../../src/cli/init.js';
import { parseConfig, parseToml } from '../../src/config/parse.js';
import { renderConfig } from '../../src/config/render.js';
import { SECTIONS } from '../../src/config/schema.js';
import { FILE } from './_fixtures.js';

const doc = initDocument({
  configPath: FILE,
  interfaces: ['lo'],
  services: ['ssh=22/tcp', 'dns=53/udp'],
  name: 'web1',
  host: '192.0.2.1',
  random: (n) => new Uint8Array(n).fill(7),
});

test('init document renders to a valid config with every documented key', () => {
  const text = renderConfig(doc);
  const c = parseConfig(text, FILE);
  assert.equal(c.serverName, 'web1');
  assert.deepEqual(c.services.get('dns'), { name: 'dns', protocol: 'udp', port: 53 });
  assert.equal(c.clients.size, 0);
  for (const s of SECTIONS) {
    if (s.name === 'firewall.command') continue;
    assert.ok(text.includes(`\n[${s.name}]\n`), s.name);
    for (const k of s.keys) {
      if (k.key === 'port' && s.name === 'knock') continue; // port_range is written instead
      assert.match(text, new RegExp(`\\n${k.key} = `), `${s.name}.${k.key}`);
      assert.ok(text.includes(k.doc), `comment for ${s.name}.${k.key}`);
    }
  }
  assert.match(text, /^# spa-server configuration\. Holds secrets: keep it mode 0600/);
});

test('render → parse gives the document back', () => {
  const back = parseToml(renderConfig(doc), FILE);
  assert.deepEqual(JSON.parse(JSON.stringify(back)), JSON.parse(JSON.stringify(doc)));
});

test('[fwknop] and [fwknop_clients.NAME] render and parse back', () => {
  const withFwknop = {
    ...doc,
    fwknop: { port: 62202 },
    fwknop_clients: {
      'dave.phone': {
        key: 'a passphrase',
        hmac_key_base64: Buffer.alloc(64, 9).toString('base64'),
        hmac_digest: 'sha512',
        services: ['ssh'],
        expires: '2027-01-31',
        require_literal_address: true,
        require_username: 'dave',
        default_duration: '1m',
        max_duration: '10m',
      },
    },
  };
  const text = renderConfig(withFwknop);
  assert.match(text, /\n\[fwknop\]\nport = 62202 +# udp port fwknop clients send to/);
  assert.match(text, /\n\[fwknop_clients\."dave\.phone"\]\nkey = "a passphrase"\n/);
  assert.deepEqual(
    JSON.parse(JSON.stringify(parseToml(text, FILE).fwknop_clients)),
    withFwknop.fwknop_clients,
  );
  const c = parseConfig(text, FILE);
  assert.equal(c.fwknop.port, 62202);
  assert.equal(c.fwknop.clients.get('dave.phone')!.maxDurationSeconds, 600);
  assert.ok(!renderConfig(doc).includes('fwknop_clients'), 'no fwknop comment block without fwknop clients');
});
