/** `run --trial` and `reload --trial` at the command line: what is refused, and the request file. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { TRIAL_REQUEST_FILE } from '../../src/trial/index.js';
import { initArgs, runCli, spawnCli, tempDir } from './_cli.js';

describe('--trial', () => {
  const dir = tempDir();
  const good = join(dir, 'good.toml');
  assert.equal(spawnCli(initArgs(good, dir)).code, 0);
  const state = join(dir, 'state');
  mkdirSync(state, { recursive: true, mode: 0o700 });

  test('a time that is not whole seconds in range is a usage error (64)', async () => {
    for (const bad of ['0s', '1.5s', 'soon', '500ms', '25h', '-1']) {
      const r = await runCli(['run', '--trial', bad, '--config', good]);
      assert.equal(r.code, 64, `${bad}: ${r.stderr}`);
      assert.match(r.stderr, /--trial .*not a trial time/);
      assert.match(r.stderr, /--trial 120s or --trial 2m/);
    }
  });

  test('no TCP service: nothing could confirm the trial (64)', async () => {
    const udp = join(dir, 'udp.toml');
    const args = initArgs(udp, dir).map((a) =>
      a === 'ssh=22/tcp' ? 'dns=53/udp' : a === 'https=443/tcp' ? 'ntp=123/udp' : a,
    );
    assert.equal(spawnCli(args).code, 0);
    for (const command of ['run', 'reload']) {
      const r = await runCli([command, '--trial', '2m', '--config', udp]);
      assert.equal(r.code, 64, r.stderr);
      assert.match(r.stderr, /only udp\/53, udp\/123, no TCP port: nothing to confirm the trial with/);
    }
  });

  test('the command backend cannot roll back: refused (64)', async () => {
    const cmd = join(dir, 'cmd.toml');
    const text = readFileSync(good, 'utf8')
      .replace('backend = "dry-run"', 'backend = "command"')
      .replace(/\n\[services\]/, '\n[firewall.command]\ngrant = ["/bin/true", "{ip}"]\n\n[services]');
    writeFileSync(cmd, text, { mode: 0o600 });
    const r = await runCli(['run', '--trial', '2m', '--config', cmd]);
    assert.equal(r.code, 64, r.stderr);
    assert.match(r.stderr, /command backend cannot roll a guard back/);
  });

  test('reload --trial with no daemon: not running, and no request file left behind', async () => {
    const r = await runCli(['reload', '--trial', '2m', '--config', good]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /is the daemon running/);
    assert.equal(existsSync(join(state, TRIAL_REQUEST_FILE)), false);
  });

  test('reload --trial writes the request (0600) for the daemon, then signals it', async () => {
    // A stand-in daemon: a node process that survives SIGHUP and says when it got one.
    const child = spawn(process.execPath, [
      '-e',
      "process.on('SIGHUP', () => { console.log('hup'); process.exit(0); }); console.log('ready'); setTimeout(() => {}, 20000);",
    ]);
    try {
      // Signal only once its handler is installed (a fixed wait lost that race on a busy machine).
      await new Promise((r) => child.stdout.once('data', r));
      writeFileSync(join(state, 'spa-server.pid'), `${child.pid}\n`);
      const got = new Promise<string>((resolve) =>
        child.stdout.once('data', (d: Buffer) => resolve(String(d))),
      );
      const r = await runCli(['reload', '--trial', '90s', '--config', good]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /sent SIGHUP/);
      assert.match(r.stderr, /newly guarded ports are on trial for 90 s/);
      assert.equal((await got).trim(), 'hup');
      const file = join(state, TRIAL_REQUEST_FILE);
      assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { seconds: 90 });
      assert.equal(statSync(file).mode & 0o777, 0o600);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
