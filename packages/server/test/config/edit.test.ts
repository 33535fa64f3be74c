/** Client edits keep the operator's comments when the layout allows, and fall back to a full re-render otherwise. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addClientText,
  addFwknopImportText,
  removeClientText,
  setClientValueText,
} from '../../src/config/edit.js';
import { parseConfig, parseToml } from '../../src/config/parse.js';
import { ALICE_KEY, BOB_KEY, configText, FILE } from './_fixtures.js';

const commented = configText({
  services: '# the one that matters\nssh = "22/tcp" # keep this port\nhttps = "443/tcp"',
  clients: [
    '# Alice: laptop, renew in June',
    '[clients.alice]',
    `key = "${ALICE_KEY}"`,
    'services = ["ssh"] # only ssh',
    '',
    '# Bob: build server',
    '[clients.bob]',
    `key = "${BOB_KEY}"`,
    'services = ["https"]',
  ].join('\n'),
});

test('add appends a table and keeps every comment', () => {
  const key = ALICE_KEY.replace('spak1', 'spak1'); // same format; uniqueness is checked by parseConfig, not here
  const r = addClientText(commented, FILE, 'carol', { key, services: ['ssh'], expires: '2030-01-01' });
  assert.equal(r.preserved, true);
  assert.ok(r.text.startsWith(commented.trimEnd()));
  assert.match(
    r.text,
    /\n\n\[clients\.carol\]\nkey = "spak1[a-z2-7]+"\nservices = \[ "ssh" \]\nexpires = "2030-01-01"\n$/,
  );
  for (const c of [
    '# the one that matters',
    '# keep this port',
    '# Alice: laptop',
    '# only ssh',
    '# Bob: build server',
  ]) {
    assert.ok(r.text.includes(c), c);
  }
});

test('names that need quotes', () => {
  const r = addClientText(commented, FILE, 'dave.phone', { key: 'spak1x', services: ['ssh'] });
  assert.equal(r.preserved, true);
  assert.match(r.text, /\[clients\."dave\.phone"\]/);
  const doc = parseToml(r.text, FILE) as { clients: Record<string, unknown> };
  assert.ok(doc.clients['dave.phone']);
});

test('remove cuts the table and the comment above it, keeps the next one', () => {
  const r = removeClientText(commented, FILE, 'alice');
  assert.equal(r.preserved, true);
  assert.ok(!r.text.includes('Alice'));
  assert.ok(!r.text.includes('# only ssh'));
  assert.ok(r.text.includes('# Bob: build server\n[clients.bob]'));
  assert.ok(r.text.includes('# keep this port'));
  const c = parseConfig(r.text, FILE);
  assert.deepEqual([...c.clients.keys()], ['bob']);
});

test('remove the last table', () => {
  const r = removeClientText(commented, FILE, 'bob');
  assert.equal(r.preserved, true);
  assert.ok(!r.text.includes('Bob'));
  assert.ok(r.text.endsWith('services = ["ssh"] # only ssh\n'));
  assert.deepEqual([...parseConfig(r.text, FILE).clients.keys()], ['alice']);
});

test('set replaces an existing key in place', () => {
  const once = setClientValueText(commented, FILE, 'alice', 'revoked', true);
  assert.equal(once.preserved, true);
  assert.match(once.text, /services = \["ssh"\] # only ssh\nrevoked = true\n/);
  const twice = setClientValueText(once.text, FILE, 'alice', 'revoked', false);
  assert.equal(twice.preserved, true);
  assert.equal(twice.text, once.text.replace('revoked = true', 'revoked = false'));
  assert.equal(parseConfig(twice.text, FILE).clients.get('alice')?.revoked, false);
  assert.equal(parseConfig(once.text, FILE).clients.get('bob')?.revoked, false);
});

test('clients written as inline tables: falls back to re-rendering', () => {
  const inline = configText({
    clients: `[clients]\nalice = { key = "${ALICE_KEY}", services = ["ssh"] } # inline`,
  });
  // Appending [clients.bob] after [clients] with an inline alice is still valid TOML: kept.
  const added = addClientText(inline, FILE, 'bob', { key: BOB_KEY, services: ['https'] });
  assert.equal(added.preserved, true);
  assert.deepEqual([...parseConfig(added.text, FILE).clients.keys()], ['alice', 'bob']);

  const revoked = setClientValueText(inline, FILE, 'alice', 'revoked', true);
  assert.equal(revoked.preserved, false);
  assert.match(revoked.text, /^# spa-server configuration/);
  assert.equal(parseConfig(revoked.text, FILE).clients.get('alice')?.revoked, true);

  const removed = removeClientText(inline, FILE, 'alice');
  assert.equal(removed.preserved, false);
  assert.equal(parseConfig(removed.text, FILE).clients.size, 0);
});

test('the fallback keeps every setting', () => {
  const text = configText({
    knock: 'port = 62201\nstep = 60',
    firewall: 'backend = "command"\n[firewall.command]\ngrant = ["/bin/open", "{ip}"]',
    clients: `clients.alice = { key = "${ALICE_KEY}", services = ["ssh"], expires = 2030-01-01 }`,
  }).replace('[services]', '[services]');
  // Dotted keys at the root must come before the first table: move the clients line up.
  const moved = `${text.split('\n').find((l) => l.startsWith('clients.alice'))}\n${text
    .split('\n')
    .filter((l) => !l.startsWith('clients.alice'))
    .join('\n')}`;
  const before = parseConfig(moved, FILE);
  const r = setClientValueText(moved, FILE, 'alice', 'revoked', true);
  assert.equal(r.preserved, false);
  const after = parseConfig(r.text, FILE);
  assert.deepEqual(after.knock, before.knock);
  assert.equal(after.stepSeconds, 60);
  assert.deepEqual(after.firewall, before.firewall);
  assert.equal(after.clients.get('alice')?.expiresAtMs, before.clients.get('alice')?.expiresAtMs);
  assert.equal(after.clients.get('alice')?.revoked, true);
});

const FWKNOP_ENTRY = {
  key_base64: Buffer.alloc(32, 7).toString('base64'),
  hmac_key_base64: Buffer.alloc(64, 8).toString('base64'),
  services: ['ssh', 'tcp8443'],
  allowed_sources: ['192.0.2.0/24'],
};

test('fwknop import: services at the end of [services], tables at the end, comments kept', () => {
  const r = addFwknopImportText(commented, FILE, {
    services: [['tcp8443', '8443/tcp']],
    clients: [['carol', FWKNOP_ENTRY]],
  });
  assert.equal(r.preserved, true);
  assert.ok(r.text.includes('https = "443/tcp"\ntcp8443 = "8443/tcp"\n\n# Alice'));
  assert.match(
    r.text,
    /\n\n\[fwknop_clients\.carol\]\nkey_base64 = "[^"]+"\nhmac_key_base64 = "[^"]+"\nservices = \[ "ssh", "tcp8443" \]\nallowed_sources = \[ "192\.0\.2\.0\/24" \]\n$/,
  );
  for (const c of ['# the one that matters', '# keep this port', '# Alice: laptop', '# Bob: build server'])
    assert.ok(r.text.includes(c), c);
  const c = parseConfig(r.text, FILE);
  assert.deepEqual(c.fwknop.clients.get('carol')!.services, ['ssh', 'tcp8443']);
});

test('fwknop import: [services] as an inline table falls back to re-rendering, nothing lost', () => {
  const inline = configText({ services: '' })
    .replace('[services]\n', '')
    .replace('[server]', 'services = { ssh = "22/tcp", https = "443/tcp" }\n[server]');
  parseConfig(inline, FILE);
  const r = addFwknopImportText(inline, FILE, {
    services: [['tcp8443', '8443/tcp']],
    clients: [['carol', FWKNOP_ENTRY]],
  });
  assert.equal(r.preserved, false);
  const c = parseConfig(r.text, FILE);
  assert.deepEqual([...c.services.keys()], ['ssh', 'https', 'tcp8443']);
  assert.deepEqual([...c.clients.keys()], ['alice']);
  assert.ok(c.fwknop.clients.has('carol'));
  assert.match(r.text, /# Clients of the stock fwknop client/);
});
