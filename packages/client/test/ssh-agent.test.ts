/**
 * Two-factor knocks against a real OpenSSH ssh-agent (`ssh-agent -D -a SOCK`, keys made by
 * ssh-keygen and loaded with ssh-add): the agent signs, the server-side check accepts; no
 * agent, another key, an empty or locked agent each give their error with the fix.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { checkSignedKnock, parseAuthorizedKey, type SshPublicKey, sshFingerprint } from '@spa/shared';
import { ClientError } from '../src/errors.js';
import { agentAt, agentSigner } from '../src/knock-signer.js';
import { openService } from '../src/open-service.js';
import { SshAgent } from '../src/ssh-agent.js';
import { FakeWorld, makeProfile, serverVerify } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'spa-agent-test-'));
const sock = join(dir, 'agent.sock');
let agentProcess: ChildProcess | undefined;
const env = { ...process.env, SSH_AUTH_SOCK: sock };
const keys: Record<string, { file: string; key: SshPublicKey; fingerprint: string }> = {};

function makeKey(name: string, args: string[]) {
  const file = join(dir, name);
  execFileSync('ssh-keygen', [...args, '-N', '', '-C', name, '-f', file, '-q']);
  const parsed = parseAuthorizedKey(readFileSync(`${file}.pub`, 'utf8'));
  assert.ok(parsed.ok);
  keys[name] = { file, key: parsed.key, fingerprint: sshFingerprint(parsed.key.blob) };
}

/** ssh-add -x / -X read the password through SSH_ASKPASS when forced. */
function lockCommand(flag: '-x' | '-X') {
  const askpass = join(dir, 'askpass.sh');
  writeFileSync(askpass, '#!/bin/sh\necho lab-lock-password\n');
  chmodSync(askpass, 0o700);
  execFileSync('ssh-add', [flag], {
    env: { ...env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
}

before(async () => {
  agentProcess = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
  for (let i = 0; i < 200 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 10));
  makeKey('ed25519', ['-t', 'ed25519']);
  makeKey('ecdsa', ['-t', 'ecdsa', '-b', '256']);
  makeKey('other', ['-t', 'ed25519']);
  for (const k of ['ed25519', 'ecdsa']) execFileSync('ssh-add', ['-q', keys[k]!.file], { env });
});

after(() => {
  agentProcess?.kill();
  rmSync(dir, { recursive: true, force: true });
});

const rejectsWith = (code: string, pattern: RegExp, hint: RegExp) => (e: unknown) => {
  assert.ok(e instanceof ClientError, String(e));
  assert.equal(e.code, code);
  assert.equal(e.exitCode, 6);
  assert.match(e.message, pattern);
  assert.match(e.hint, hint);
  return true;
};

describe('spa-client and a real ssh-agent', () => {
  test('lists the keys ssh-add loaded, with the fingerprints ssh-keygen -l prints', async () => {
    const ids = await new SshAgent(sock).identities();
    const listed = execFileSync('ssh-add', ['-l', '-E', 'sha256'], { env })
      .toString()
      .trim()
      .split('\n')
      .map((l) => l.split(' ')[1]);
    assert.deepEqual(
      ids.map((i) => sshFingerprint(i.blob)),
      listed,
    );
    assert.deepEqual(ids.map((i) => i.comment).sort(), ['ecdsa', 'ed25519']);
  });

  for (const name of ['ed25519', 'ecdsa']) {
    test(`open: a ${name} key in the agent signs the knock, and the server's check accepts it`, async () => {
      const world = new FakeWorld();
      world.openAfter = 1;
      const profile = { ...makeProfile(), sshKey: keys[name]!.fingerprint };
      const r = await openService(
        { profile, service: 'ssh' },
        { ...world.deps(), agent: new SshAgent(sock) },
      );
      assert.equal(r.signedBy, keys[name]!.fingerprint);
      const v = serverVerify(profile, world.sent[0]!.bytes, world.t);
      assert.ok(v.ok, JSON.stringify(v));
      assert.equal(v.value.payload.signature?.type, keys[name]!.key.type);
      const nonce = world.sent[0]!.bytes.subarray(0, 24);
      assert.equal(checkSignedKnock(keys[name]!.key, nonce, v.value.payload, { requireTouch: true }), 'ok');
      // another ed25519 key: the signature does not verify; another type: refused before any maths
      const otherVerdict = name === 'ed25519' ? 'invalid' : 'type';
      assert.equal(
        checkSignedKnock(keys.other!.key, nonce, v.value.payload, { requireTouch: false }),
        otherVerdict,
      );
    });
  }

  test('an unsigned profile sends an unsigned knock and never talks to the agent', async () => {
    const world = new FakeWorld();
    world.openAfter = 1;
    const profile = makeProfile();
    const r = await openService({ profile, service: 'ssh' }, { ...world.deps(), agent: undefined });
    assert.equal(r.signedBy, undefined);
    const v = serverVerify(profile, world.sent[0]!.bytes, world.t);
    assert.ok(v.ok && v.value.payload.signature === undefined);
  });

  test('no agent: $SSH_AUTH_SOCK unset, or a socket that is not there; nothing is sent', async () => {
    const world = new FakeWorld();
    const profile = { ...makeProfile(), sshKey: keys.ed25519!.fingerprint };
    await assert.rejects(
      openService({ profile, service: 'ssh' }, { ...world.deps(), agent: undefined }),
      rejectsWith('no-agent', /no ssh-agent is running/, /eval \$\(ssh-agent\); ssh-add/),
    );
    await assert.rejects(
      openService({ profile, service: 'ssh' }, { ...world.deps(), agent: agentAt(join(dir, 'gone.sock')) }),
      rejectsWith('no-agent', /cannot reach ssh-agent .*ENOENT/, /eval \$\(ssh-agent\); ssh-add/),
    );
    assert.equal(world.sent.length, 0);
  });

  test('another key: the agent does not hold the profile key, and the message lists what it holds', async () => {
    const world = new FakeWorld();
    const profile = { ...makeProfile(), sshKey: keys.other!.fingerprint };
    await assert.rejects(
      openService({ profile, service: 'ssh' }, { ...world.deps(), agent: new SshAgent(sock) }),
      rejectsWith(
        'agent-key',
        new RegExp(`does not hold .*${escapeRe(keys.other!.fingerprint)}.*it holds`),
        /ssh-add ~\/.ssh\/id_ed25519/,
      ),
    );
    assert.equal(world.sent.length, 0);
  });

  test('a locked agent (ssh-add -x): a clear error with the unlock command; unlocked, it signs again', async () => {
    lockCommand('-x');
    try {
      await assert.rejects(
        agentSigner(new SshAgent(sock), keys.ed25519!.fingerprint),
        rejectsWith('agent-key', /holds no keys, or is locked/, /ssh-add -X/),
      );
    } finally {
      lockCommand('-X');
    }
    const { sign } = await agentSigner(new SshAgent(sock), keys.ed25519!.fingerprint);
    assert.equal((await sign(new Uint8Array(10))).type, 'ssh-ed25519');
  });

  test('a key removed between listing and signing: the agent refuses, and the error says so', async () => {
    const { sign } = await agentSigner(new SshAgent(sock), keys.ecdsa!.fingerprint);
    execFileSync('ssh-add', ['-q', '-d', `${keys.ecdsa!.file}.pub`], { env, stdio: 'ignore' });
    try {
      await assert.rejects(
        sign(new Uint8Array(10)),
        rejectsWith('agent-refused', /refused to sign/, /ssh-add/),
      );
    } finally {
      execFileSync('ssh-add', ['-q', keys.ecdsa!.file], { env });
    }
  });

  test('a security key asks for a touch first: the event carries the wait', async () => {
    // A fake agent that holds an sk key: no hardware here. The touch prompt comes before signing.
    const blob = Uint8Array.from(
      Buffer.from(
        'AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIKA9Hl3Pvh2q/d7xZoznJvwrqanU2REKZ36UTkGXtzRaAAAABHNzaDo=',
        'base64',
      ),
    );
    const events: number[] = [];
    const fake = {
      timeoutMs: 30_000,
      identities: async () => [{ blob, comment: 'sk' }],
      sign: async () => {
        assert.deepEqual(events, [30], 'the prompt came first');
        throw Object.assign(new Error('the agent refused to sign'), { name: 'AgentError', kind: 'refused' });
      },
    };
    const { sign } = await agentSigner(fake, sshFingerprint(blob), { onTouch: (s) => events.push(s) });
    await assert.rejects(
      sign(new Uint8Array(10)),
      rejectsWith('agent-refused', /security key did not sign/, /touch your security key/),
    );
  });
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
