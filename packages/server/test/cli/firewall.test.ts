/**
 * `status` and `revoke` ask the firewall (the kernel is the source of truth). Run against
 * real nftables inside a throw-away network namespace; needs root and nft.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createNamespacesSync, execInSync, IP_BIN, type Namespaces } from '@spa/netns';
import { BIN, initArgs, spawnCli, tempDir } from './_cli.js';

const FIREWALL = fileURLToPath(new URL('../../src/firewall/index.js', import.meta.url));
const usable =
  process.getuid?.() === 0 &&
  spawnSync('nft', ['--version']).status === 0 &&
  spawnSync(IP_BIN, ['netns', 'list']).status === 0;

describe('status and revoke on nftables', { skip: !usable && 'needs root, nft and ip netns' }, () => {
  let netns: Namespaces | undefined;
  const ns = () => netns!.ns.cli!;
  const dir = tempDir();
  const config = join(dir, 'server.toml');
  const inNs = (args: string[], env: NodeJS.ProcessEnv = process.env) => {
    const r = execInSync(ns(), [process.execPath, BIN, ...args], { env });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };

  const inNsScript = (script: string) => {
    const r = execInSync(ns(), [process.execPath, '--input-type=module', '-e', script]);
    assert.equal(r.status, 0, r.stderr);
  };

  let daemon: ChildProcess | undefined;
  before(() => {
    netns = createNamespacesSync(['cli']);
  });
  after(() => {
    daemon?.kill('SIGKILL');
    netns?.destroySync();
  });

  test('setup: config, a guard and three grants', () => {
    assert.equal(spawnCli(initArgs(config, dir)).code, 0);
    writeFileSync(
      config,
      readFileSync(config, 'utf8')
        .replace('backend = "dry-run"', 'backend = "nftables"')
        .replace('table = "spa"', 'table = "spa_cli"'),
      { mode: 0o600 },
    );
    const script = `
      const { createFirewall } = await import(${JSON.stringify(FIREWALL)});
      const fw = createFirewall({ backend: 'nftables', table: 'spa_cli' });
      await fw.start([{ protocol: 'tcp', port: 22 }, { protocol: 'tcp', port: 443 }]);
      await fw.grant({ address: '192.0.2.10', protocol: 'tcp', port: 22, seconds: 120, client: 'alice' });
      await fw.grant({ address: '192.0.2.10', protocol: 'tcp', port: 443, seconds: 60 });
      await fw.grant({ address: '2001:db8::7', protocol: 'tcp', port: 22, seconds: 90 });
      await fw.stop('keep');`;
    inNsScript(script);
  });

  test('status with no daemon: exit 3 and says so, and still shows what the kernel holds', () => {
    const r = inNs(['status', '--config', config]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /^daemon: NOT running \(no pid file .*spa-server\.pid\)/m);
    assert.match(r.stdout, /^192\.0\.2\.10 +ssh +22\/tcp/m);
    const json = JSON.parse(inNs(['status', '--json', '--config', config]).stdout);
    assert.equal(json.daemon.running, false);
    // A pid file left by a dead daemon is not "running" either.
    mkdirSync(join(dir, 'state'), { recursive: true });
    writeFileSync(join(dir, 'state', 'spa-server.pid'), '2147483646\n');
    const stale = inNs(['status', '--config', config]);
    assert.equal(stale.code, 3);
    assert.match(stale.stdout, /^daemon: NOT running \(pid 2147483646 from .* is gone/m);
  });

  test('with a daemon (a live node process in the pid file): pid and uptime, exit 0', () => {
    daemon = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    writeFileSync(join(dir, 'state', 'spa-server.pid'), `${daemon.pid}\n`);
    const r = inNs(['status', '--config', config]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`^daemon: running, pid ${daemon.pid}, up \\d+s \\(listening since 20`, 'm'),
    );
  });

  test('status --json: daemon, guard and grants with the service name and time left', () => {
    const r = inNs(['status', '--json', '--config', config]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.daemon.running, true);
    assert.equal(report.daemon.pid, daemon?.pid);
    assert.ok(report.daemon.uptimeSeconds >= 0);
    assert.deepEqual(
      report.guard.map((g: { service: string; port: number; state: string }) => [g.service, g.port, g.state]),
      [
        ['ssh', 22, 'guarded'],
        ['https', 443, 'guarded'],
      ],
    );
    const rows = report.grants as {
      address: string;
      port: number;
      service: string;
      secondsLeft: number;
    }[];
    assert.deepEqual(
      rows.map((g) => [g.address, g.port, g.service]),
      [
        ['192.0.2.10', 22, 'ssh'],
        ['192.0.2.10', 443, 'https'],
        ['2001:db8::7', 22, 'ssh'],
      ],
    );
    for (const g of rows) assert.ok(g.secondsLeft > 0 && g.secondsLeft <= 120, String(g.secondsLeft));
  });

  test('status as a table', () => {
    const r = inNs(['status', '--config', config]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ADDRESS +SERVICE +PORT +LEFT +CLIENT$/m);
    // The client's name comes back from the kernel (the element's comment).
    assert.match(r.stdout, /^192\.0\.2\.10 +ssh +22\/tcp +(1m\d*s?|\d+s) +alice$/m);
    assert.match(r.stdout, /^192\.0\.2\.10 +https +443\/tcp +\S+ +-$/m);
    assert.match(r.stdout, /^GUARD +PORT +STATE$/m);
    assert.match(r.stdout, /^ssh +22\/tcp +guarded$/m);
    assert.match(r.stdout, /^https +443\/tcp +guarded$/m);
  });

  test('status shows ports on trial and configured services that are not guarded', () => {
    const script = `
      const { createFirewall } = await import(${JSON.stringify(FIREWALL)});
      const fw = createFirewall({ backend: 'nftables', table: 'spa_cli' });
      await fw.start([{ protocol: 'tcp', port: 22, trialSeconds: 120 }]);
      await fw.stop('keep');`;
    inNsScript(script);
    const r = inNs(['status', '--config', config]);
    assert.match(
      r.stdout,
      /^ssh +22\/tcp +on trial: the kernel lifts the guard in (2m|1m\d+s) unless confirmed$/m,
    );
    assert.match(r.stdout, /^https +443\/tcp +NOT guarded: reachable by anyone/m);
    assert.equal(r.code, 4, 'a configured service is not guarded');
    const json = JSON.parse(inNs(['status', '--json', '--config', config]).stdout);
    assert.deepEqual(
      json.guard.map((g: { port: number; state: string }) => [g.port, g.state]),
      [
        [22, 'trial'],
        [443, 'unguarded'],
      ],
    );
  });

  // The system log's seam is logger(1): a stand-in first on PATH records each call's argv.
  const syslogDir = join(dir, 'syslog-bin');
  const syslog = join(dir, 'syslog.txt');
  const withLogger = (script: string) => {
    mkdirSync(syslogDir, { recursive: true });
    writeFileSync(join(syslogDir, 'logger'), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
    return { ...process.env, PATH: `${syslogDir}:${process.env.PATH}` };
  };
  const logged = () =>
    readFileSync(syslog, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.split('\t').slice(0, -1)); // each argument ends with a tab

  test('revoke ADDRESS ends its grants, says which, and logs it to syslog at info with who did it', () => {
    const env = withLogger(`printf '%s\\t' "$@" >> ${syslog}; echo >> ${syslog}`);
    const r = inNs(['revoke', '192.0.2.10', '--config', config], { ...env, SUDO_USER: 'carol' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const [head, ...rest] = r.stdout.trim().split('\n');
    assert.equal(head, 'revoked 2 grants for 192.0.2.10');
    assert.deepEqual(
      rest.map((l) => l.replace(/\d+ s left/, 'N s left')),
      ['  22/tcp of alice, N s left', '  443/tcp, N s left'],
    );
    const [call] = logged();
    assert.deepEqual(call?.slice(0, -1), [
      '--tag',
      'spa-server',
      '--priority',
      'auth.info',
      '--socket-errors=on',
      '--',
    ]);
    const line = JSON.parse(call!.at(-1)!);
    assert.equal(line.level, 30, 'info');
    assert.deepEqual(
      [line.msg, line.by, line.address, line.revoked, line.firewall, line.user, line.sudoUser],
      ['revoked', 'cli', '192.0.2.10', 2, 'nftables', 'root', 'carol'],
    );
    assert.deepEqual(
      line.grants.map((g: { protocol: string; port: number; client?: string }) => [
        g.protocol,
        g.port,
        g.client,
      ]),
      [
        ['tcp', 22, 'alice'],
        ['tcp', 443, undefined],
      ],
    );
    assert.ok(line.grants.every((g: { secondsLeft: number }) => g.secondsLeft > 0 && g.secondsLeft <= 120));
    const again = inNs(['revoke', '192.0.2.10', '--config', config], env);
    assert.equal(again.stdout.trim(), 'no live grants for 192.0.2.10');
    const second = JSON.parse(logged()[1]!.at(-1)!);
    assert.deepEqual([second.revoked, second.grants], [0, []], 'an empty revoke is logged too');
    const left = JSON.parse(inNs(['status', '--json', '--config', config]).stdout).grants as {
      address: string;
    }[];
    assert.deepEqual(
      left.map((g) => g.address),
      ['2001:db8::7'],
    );
  });

  test('revoke accepts any spelling of an IPv6 address; a syslog that refuses the line is said', () => {
    const env = withLogger(`echo 'logger: socket /dev/log: No such file or directory' >&2; exit 1`);
    const r = inNs(['revoke', '2001:0DB8:0:0::7', '--config', config], env);
    assert.equal(r.code, 0, 'the grants are gone all the same');
    assert.match(r.stdout, /^revoked 1 grant for 2001:db8::7\n {2}22\/tcp, \d+ s left\n$/);
    assert.equal(
      r.stderr.trim(),
      'note: this revoke is not in the system log (logger exited with 1: logger: socket /dev/log: No such file or directory)',
    );
    const s = inNs(['status', '--config', config]);
    assert.equal(s.code, 4, 'https is still unguarded (the trial test above)');
    assert.match(s.stderr, /no live grants \(nftables table spa_cli\)/);
  });
});
