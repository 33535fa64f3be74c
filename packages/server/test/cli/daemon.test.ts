/**
 * `spa-server run` and `reload` against the real daemon: dry-run firewall on lo, so no
 * namespace is needed, but capturing needs root (or CAP_NET_RAW).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BIN, initArgs, spawnCli, tempDir } from './_cli.js';

const root = process.getuid?.() === 0;

function waitFor(child: ChildProcess, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${pattern}; output:\n${seen}`)),
      timeoutMs,
    );
    const onData = (d: Buffer) => {
      seen += d.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve(seen);
      }
    };
    child.stdout?.on('data', onData);
  });
}

test('run starts the daemon, reload makes it reload, SIGTERM stops it with exit 0', {
  skip: !root && 'needs root',
}, async () => {
  const dir = tempDir();
  const config = join(dir, 'server.toml');
  assert.equal(spawnCli(initArgs(config, dir)).code, 0);
  assert.equal(spawnCli(['add-client', 'alice', '--config', config]).code, 0);
  const daemon = spawn(process.execPath, [BIN, 'run', '--config', config, '--log-format', 'json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  daemon.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  try {
    const started = await waitFor(daemon, /"msg":"listening"/);
    assert.ok(!started.includes('spak1') && !started.includes('spas1'), 'no secrets in the log');
    assert.ok(existsSync(join(dir, 'state', 'spa-server.pid')));
    assert.equal(spawnCli(['add-client', 'bob', '--config', config]).code, 0);
    const reloaded = waitFor(daemon, /"msg":"reloaded"/);
    const r = spawnCli(['reload', '--config', config]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`sent SIGHUP to spa-server \\(pid ${daemon.pid}\\)`));
    assert.match(await reloaded, /"clients":2/);
  } finally {
    daemon.kill('SIGTERM');
  }
  const code = await new Promise<number | null>((resolve) => daemon.on('exit', (c) => resolve(c)));
  assert.equal(code, 0, stderr);
});
