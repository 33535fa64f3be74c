/**
 * The port probe against a real OpenSSH server on loopback: a probe must not leave a line in
 * sshd's log. A connection closed with FIN before the SSH identification makes sshd log
 * "error: kex_exchange_identification: Connection closed by remote host" (one per probe, so
 * `spa-client open` filled auth.log); closed at once with RST, sshd logs nothing (measured on
 * OpenSSH 9.2: RST at once → no line; RST 300 ms later → "read: Connection reset by peer").
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { probeTcp } from '../src/port-probe.js';

const SSHD = '/usr/sbin/sshd';
const canRun = existsSync(SSHD) && process.getuid?.() === 0;

interface Sshd {
  readonly proc: ChildProcess;
  readonly port: number;
  log(): string;
}

async function startSshd(t: { after(f: () => void): void }): Promise<Sshd> {
  const dir = mkdtempSync(join(tmpdir(), 'spa-probe-sshd-'));
  const key = join(dir, 'host_ed25519');
  spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  for (let attempt = 0; ; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const config = join(dir, 'sshd_config');
    writeFileSync(
      config,
      `Port ${port}\nListenAddress 127.0.0.1\nHostKey ${key}\nPidFile ${join(dir, 'pid')}\nUsePAM no\nLogLevel VERBOSE\n`,
      { mode: 0o600 },
    );
    const proc = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    proc.stderr!.on('data', (d) => (log += d));
    const deadline = Date.now() + 10_000;
    while (!/Server listening on/.test(log) && proc.exitCode === null && Date.now() < deadline)
      await delay(20);
    if (/Server listening on/.test(log)) {
      t.after(() => {
        proc.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      });
      return { proc, port, log: () => log };
    }
    proc.kill('SIGKILL');
    if (attempt >= 4) throw new Error(`sshd did not start: ${log}`);
  }
}

/** A connection that sends an SSH identification, then FIN: sshd logs "Connection closed … [preauth]". */
async function marker(port: number): Promise<number> {
  const s = connect({ host: '127.0.0.1', port });
  await once(s, 'connect');
  const local = s.localPort!;
  await once(s, 'data'); // sshd's banner
  s.end('SSH-2.0-spa_test_marker\r\n');
  await once(s, 'close');
  return local;
}

describe('port probe', {
  skip: canRun ? false : 'needs root and /usr/sbin/sshd (npm test installs it)',
}, () => {
  test('probing sshd leaves no kex_exchange_identification line in its log', async (t) => {
    const sshd = await startSshd(t);
    const to = { address: '127.0.0.1', port: sshd.port, family: 4 as const };
    for (let i = 0; i < 5; i++) assert.equal(await probeTcp(to, 2000), true);
    // sshd serves connections in order: once the marker's line is there, the probes' would be too.
    const port = await marker(sshd.port);
    const deadline = Date.now() + 10_000;
    while (!sshd.log().includes(`port ${port}`) && Date.now() < deadline) await delay(20);
    assert.match(sshd.log(), new RegExp(`Connection closed by 127\\.0\\.0\\.1 port ${port}`));
    assert.doesNotMatch(
      sshd.log(),
      /kex_exchange_identification|Connection reset|Connection closed by 127\.0\.0\.1 port (?!\d+ \[preauth\])/,
    );
  });

  test('a closed port is reported closed', async () => {
    assert.equal(await probeTcp({ address: '127.0.0.1', port: 1, family: 4 }, 2000), false);
  });
});
