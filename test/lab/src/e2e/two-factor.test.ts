/**
 * Issue 16: two-factor knocks. spa-server with `[policy] require_ssh_key = true` and a client
 * added with `--ssh-key-file` (an ed25519 key made by ssh-keygen on the client host); a real
 * `ssh-agent` in the client namespace holds that key.
 *   a. `spa-client open` with the key in the agent opens ssh; `--json` says it was signed;
 *   b. no agent, another key, a locked agent (`ssh-add -x`): a clear error, nothing opens;
 *   c. the attacker's replay of the signed knock: `replay`, nothing opens;
 *   d. the profile copied to the attacker, no agent there: spa-client refuses, and knocks
 *      sealed from the stolen profile by hand (unsigned) are refused as `signature`;
 *   e. ssh login with `ProxyCommand spa-client proxy %h %p`, the same agent giving both the
 *      knock's signature and the ssh login.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type LabProcess, labAvailable } from '../lab/index.js';
import { CLIENT_BIN, SERVER_HOSTNAME, type SpaLab, startSpaLab } from '../spa/fixture.js';
import { KnockMaker } from '../spa/knocks.js';
import {
  CLOSED_PROBE_MS,
  logMark,
  reaches,
  revokeGrants,
  until,
  waitClosed,
  waitForLogAfter,
  waitForRejection,
} from '../spa/probes.js';
import { type Sshd, startSshd } from '../spa/sshd.js';
import { KnockTap } from '../spa/tap.js';

describe('two-factor knocks: profile + the admin SSH key in ssh-agent', () => {
  let spa: SpaLab | undefined;
  let sshd: Sshd | undefined;
  const agents: LabProcess[] = [];
  let adminKey = '';
  let otherKey = '';
  let sock = '';
  let otherSock = '';
  let uri = '';

  /** An ssh-agent in the client namespace at `path`, with `keys` loaded. */
  async function startAgent(lab: SpaLab, path: string, keys: string[]): Promise<void> {
    agents.push(lab.lab.spawn('client', ['ssh-agent', '-D', '-a', path]));
    await until(`ssh-agent socket ${path}`, 5000, () => existsSync(path));
    for (const k of keys)
      await lab.lab.exec('client', ['ssh-add', '-q', k], {
        env: { ...process.env, SSH_AUTH_SOCK: path },
        check: true,
      });
  }

  /** `spa-client … ARGS` on `host` with exactly this agent socket (undefined = none). */
  function client(lab: SpaLab, host: 'client' | 'attacker', args: string[], agentSock: string | undefined) {
    const env = { ...process.env };
    delete env.SSH_AUTH_SOCK;
    if (agentSock) env.SSH_AUTH_SOCK = agentSock;
    return lab.lab.exec(host, ['node', CLIENT_BIN, '--config', lab.clientConfig(host), ...args], {
      env,
      timeoutMs: 20_000,
    });
  }

  function askpassLock(lab: SpaLab, flag: '-x' | '-X') {
    const askpass = join(lab.dir, 'askpass.sh');
    writeFileSync(askpass, '#!/bin/sh\necho lab-lock-password\n', { mode: 0o700 });
    return lab.lab.exec('client', ['ssh-add', flag], {
      env: {
        ...process.env,
        SSH_AUTH_SOCK: sock,
        SSH_ASKPASS: askpass,
        SSH_ASKPASS_REQUIRE: 'force',
        DISPLAY: ':0',
      },
      check: true,
    });
  }

  before(async (t) => {
    if (!labAvailable(t as unknown as { skip(m?: string): void })) return;
    spa = await startSpaLab({
      services: { ssh: '22/tcp' },
      clients: {},
      start: false,
      config: [['policy', 'require_ssh_key', 'true']],
    });
    adminKey = join(spa.dir, 'admin_ed25519');
    otherKey = join(spa.dir, 'other_ed25519');
    for (const k of [adminKey, otherKey])
      await spa.lab.exec(
        'client',
        ['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'admin@laptop', '-f', k],
        { check: true },
      );
    const add = await spa.serverCli([
      'add-client',
      'alice',
      '--services',
      'ssh',
      '--ssh-key-file',
      `${adminKey}.pub`,
    ]);
    assert.equal(add.code, 0, add.stderr);
    uri = add.stdout.trim();
    for (const host of ['client', 'attacker'] as const) {
      const imp = await spa.clientCli(host, ['import', uri, '--name', 'web1']);
      assert.equal(imp.code, 0, imp.stderr);
    }
    await spa.startServer();
    sock = join(spa.dir, 'agent.sock');
    otherSock = join(spa.dir, 'other-agent.sock');
    await startAgent(spa, sock, [adminKey]);
    await startAgent(spa, otherSock, [otherKey]);
  });
  after(async () => {
    await sshd?.stop();
    for (const a of agents) await a.kill('SIGTERM', 1000);
    await spa?.teardown();
  });

  test('a. with the key in the agent, open succeeds and reports a signed knock', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const lab = spa;
    const { server, client: clientHost } = lab.lab.hosts;
    const agent = await lab.lab.agent('client');
    assert.equal(await reaches(agent, server.ipv4, 22, CLOSED_PROBE_MS), false, 'guarded before');
    const mark = logMark(lab);
    const r = await client(lab, 'client', ['open', 'ssh', '-4', '--json'], sock);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.signed, true);
    assert.match(out.sshKey, /^SHA256:/);
    await waitForLogAfter(lab, mark, (l) => l.msg === 'grant' && l.address === clientHost.ipv4);
    assert.ok(await reaches(agent, server.ipv4, 22), 'the client got in');
    await revokeGrants(lab, clientHost.ipv4);
    await waitClosed(agent, server.ipv4, 22, 3000);
  });

  test('b. no agent, another key, a locked agent: exit 6 with the fix, nothing sent, nothing opens', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const lab = spa;
    const { server } = lab.lab.hosts;
    const agent = await lab.lab.agent('client');
    const before = await lab.counters();
    const none = await client(lab, 'client', ['open', 'ssh', '-4'], undefined);
    assert.equal(none.code, 6);
    assert.match(none.stderr, /no ssh-agent is running/);
    assert.match(none.stderr, /eval \$\(ssh-agent\); ssh-add/);
    const other = await client(lab, 'client', ['open', 'ssh', '-4'], otherSock);
    assert.equal(other.code, 6);
    assert.match(other.stderr, /does not hold the key this profile needs/);
    assert.match(other.stderr, /ssh-add ~\/\.ssh\/id_ed25519/);
    await askpassLock(lab, '-x');
    try {
      const locked = await client(lab, 'client', ['open', 'ssh', '-4'], sock);
      assert.equal(locked.code, 6);
      assert.match(locked.stderr, /holds no keys, or is locked/);
      assert.match(locked.stderr, /ssh-add -X/);
    } finally {
      await askpassLock(lab, '-X');
    }
    assert.deepEqual(await lab.counters(), before, 'no packet reached the daemon');
    assert.equal(await reaches(agent, server.ipv4, 22, CLOSED_PROBE_MS), false, 'still guarded');
  });

  test("c. the attacker's replay of a signed knock is refused as replay", async (t) => {
    if (!labAvailable(t) || !spa) return;
    const lab = spa;
    const { server, client: clientHost, attacker: attackerHost } = lab.lab.hosts;
    const attacker = await lab.lab.agent('attacker');
    const tap = await KnockTap.start(lab, new KnockMaker(uri));
    const r = await client(lab, 'client', ['open', 'ssh', '-4'], sock);
    assert.equal(r.code, 0, r.stderr);
    const knocks = await tap.knocksFrom(clientHost.ipv4);
    await tap.stop();
    for (const k of knocks) {
      const mark = logMark(lab);
      assert.ok((await attacker.udp(server.ipv4, k.port, k.payload)).ok);
      assert.equal((await waitForRejection(lab, mark, attackerHost.ipv4)).reason, 'replay');
    }
    assert.equal(await reaches(attacker, server.ipv4, 22, CLOSED_PROBE_MS), false, 'attacker stays out');
    await revokeGrants(lab, clientHost.ipv4);
  });

  test('d. the profile copied to the attacker, no agent there: spa-client refuses; hand-made unsigned knocks get `signature`', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const lab = spa;
    const { server, attacker: attackerHost } = lab.lab.hosts;
    const attacker = await lab.lab.agent('attacker');
    const r = await client(lab, 'attacker', ['open', 'ssh', '-4'], undefined);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /no ssh-agent/);
    // A thief who patches the client to skip the agent: fresh, authentic, unsigned knocks.
    const maker = new KnockMaker(uri);
    for (let i = 0; i < 3; i++) {
      const k = maker.knock();
      const mark = logMark(lab);
      assert.ok((await attacker.udp(server.ipv4, k.port, k.packet)).ok);
      assert.equal((await waitForRejection(lab, mark, attackerHost.ipv4)).reason, 'signature');
    }
    assert.equal(
      await reaches(attacker, server.ipv4, 22, CLOSED_PROBE_MS),
      false,
      'the stolen profile opens nothing',
    );
    assert.deepEqual(
      (await lab.nftGrants()).filter((g) => g.address === attackerHost.ipv4),
      [],
      'no grant for the attacker',
    );
  });

  test('e. ssh logs in through ProxyCommand spa-client proxy, the same agent signing knock and login', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const lab = spa;
    const { server } = lab.lab.hosts;
    const agent = await lab.lab.agent('client');
    await waitClosed(agent, server.ipv4, 22, 3000);
    await lab.services.stop(); // port 22 is sshd's now
    sshd = await startSshd(lab.lab, 'server', lab.dir, 22);
    // The admin's own key logs in too (sshd reads authorized_keys at each login).
    writeFileSync(join(dirname(sshd.clientKey), 'authorized_keys'), readFileSync(`${adminKey}.pub`), {
      mode: 0o600,
    });
    const proxyCommand = `${process.execPath} ${CLIENT_BIN} --config ${lab.clientConfig('client')} proxy %h %p`;
    const env = { ...process.env, SSH_AUTH_SOCK: sock };
    const r = await lab.lab.exec(
      'client',
      [
        'ssh',
        '-F',
        '/dev/null',
        '-o',
        `ProxyCommand=${proxyCommand}`,
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'BatchMode=yes',
        '-o',
        'ConnectTimeout=20',
        '-o',
        'LogLevel=ERROR',
        `root@${SERVER_HOSTNAME}`,
        'echo spa-2fa-ok',
      ],
      { timeoutMs: 40_000, env },
    );
    assert.equal(r.code, 0, `ssh: ${r.stderr}\nsshd:\n${sshd.process.tail()}`);
    assert.equal(r.stdout.trim(), 'spa-2fa-ok');
    assert.match(sshd.process.stderr.join('\n'), /Accepted publickey for root .*ED25519/);
    const attacker = await lab.lab.agent('attacker');
    assert.equal(
      await reaches(attacker, server.ipv4, 22, CLOSED_PROBE_MS),
      false,
      'still hidden from others',
    );
  });
});
