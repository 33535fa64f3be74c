/** Two-factor settings in the file: ssh_key, require_touch, [policy] require_ssh_key, and what they mean for sequences. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { clientProfile } from '../../src/config/profile.js';
import { ALICE_KEY, assertConfigError, BOB_KEY, parse } from './_fixtures.js';

const vectors = JSON.parse(
  readFileSync(
    join(fileURLToPath(import.meta.url), '../../../../../../test/vectors/ssh-signatures.json'),
    'utf8',
  ),
);
const line = (name: string): string => vectors.keys.find((k: { name: string }) => k.name === name).line;
const fp = (name: string): string => vectors.keys.find((k: { name: string }) => k.name === name).fingerprint;
const alice = (extra: string) => `[clients.alice]\nkey = "${ALICE_KEY}"\nservices = ["ssh"]\n${extra}`;
const bob = `[clients.bob]\nkey = "${BOB_KEY}"\nservices = ["ssh"]`;

test('ssh_key is read; the profile carries its fingerprint and no sequences; the file says so', () => {
  const c = parse({ clients: `${alice(`ssh_key = "${line('ed25519')}"`)}\n\n${bob}` });
  const a = c.clients.get('alice')!;
  assert.equal(a.sshKey?.type, 'ssh-ed25519');
  assert.equal(a.requireTouch, false);
  assert.equal(clientProfile(c, 'alice').sshKey, fp('ed25519'));
  assert.equal(clientProfile(c, 'alice').sequence, undefined);
  assert.ok(clientProfile(c, 'bob').sequence, 'bob keeps sequences');
  assert.equal(clientProfile(c, 'bob').sshKey, undefined);
  assert.equal(c.notices?.length, 1);
  assert.match(c.notices![0]!, /clients\.alice has an ssh_key: its one-time sequences are refused/);
});

test('require_touch needs an sk key; with one it is read', () => {
  assertConfigError(
    { clients: alice(`ssh_key = "${line('ed25519')}"\nrequire_touch = true`) },
    'clients.alice.require_touch',
    /ssh-ed25519 has no touch/,
  );
  assertConfigError(
    { clients: alice('require_touch = true') },
    'clients.alice.require_touch',
    /needs an ssh_key/,
  );
  const c = parse({ clients: alice(`ssh_key = "${line('sk-ed25519')}"\nrequire_touch = true`) });
  assert.equal(c.clients.get('alice')!.requireTouch, true);
  assert.equal(c.clients.get('alice')!.sshKey?.type, 'sk-ssh-ed25519@openssh.com');
});

test('ssh_key: RSA refused with the reason; junk refused with how to write it', () => {
  assertConfigError(
    { clients: alice('ssh_key = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ== me"') },
    'clients.alice.ssh_key',
    /RSA or DSA signature does not fit/,
  );
  assertConfigError(
    { clients: alice('ssh_key = "ssh-ed25519 AAAA"') },
    'clients.alice.ssh_key',
    /not a valid ssh-ed25519/,
  );
});

test('require_ssh_key: sequences off for all, clients without a key named', () => {
  const c = parse({
    policy: 'require_ssh_key = true',
    clients: `${alice(`ssh_key = "${line('ecdsa')}"`)}\n\n${bob}`,
  });
  assert.equal(c.policy.requireSshKey, true);
  assert.equal(clientProfile(c, 'bob').sequence, undefined);
  assert.ok(
    c.notices!.some((n) => /require_ssh_key: one-time sequences are refused for every client/.test(n)),
  );
  assert.ok(c.notices!.some((n) => /clients\.bob has no ssh_key/.test(n)));
});
