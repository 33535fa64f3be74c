/** The built `spa-client` as a user runs it: exit codes, messages, files. Loopback only. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { type ClientProfile, encodeProfile, msLeftInStep, PACKET_LENGTH } from '@spa/shared';
import { BIN, makeProfile, runCli, serverVerify, tempDir } from './helpers.js';

async function echoServer(t: { after(f: () => void): void }): Promise<number> {
  const server: Server = createServer((c) => {
    c.on('error', () => {});
    c.pipe(c);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  return (server.address() as { port: number }).port;
}

/** A stand-in server: the TCP port listens (echo) only after a datagram reaches the knock port. */
async function opensOnKnock(t: { after(f: () => void): void }): Promise<{ knock: number; port: number }> {
  const free = createServer().listen(0, '127.0.0.1');
  await once(free, 'listening');
  const port = (free.address() as { port: number }).port;
  await new Promise((r) => free.close(r));
  const knocks = createSocket('udp4');
  await new Promise<void>((resolve) => knocks.bind(0, '127.0.0.1', () => resolve()));
  let server: Server | undefined;
  knocks.on('message', () => {
    server ??= createServer((c) => {
      c.on('error', () => {});
      c.pipe(c);
    }).listen(port, '127.0.0.1');
  });
  t.after(() => {
    knocks.close();
    server?.close();
  });
  return { knock: knocks.address().port, port };
}

async function setup(t: { after(f: () => void): void }, profiles: Record<string, Partial<ClientProfile>>) {
  const config = join(tempDir(t), 'spa', 'client.toml');
  const env = { SPA_CLIENT_CONFIG: config };
  const made: Record<string, ClientProfile> = {};
  for (const [name, over] of Object.entries(profiles)) {
    made[name] = makeProfile({ server: name, host: '127.0.0.1', ...over });
    const r = await runCli(['import', encodeProfile(made[name]!)], env);
    assert.equal(r.code, 0, r.stderr);
  }
  return { config, env, made };
}

/** Preloaded into the CLI: a Node warning raised 300 ms in, while `open` is waiting. */
const PLANT_WARNING =
  '--import=data:text/javascript,setTimeout(()=>process.emitWarning(`planted`),300).unref()';

describe('spa-client CLI', { timeout: 60_000 }, () => {
  test('--help and --version', async () => {
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    for (const c of ['import', 'list', 'remove', 'open', 'proxy', 'knock', 'ports'])
      assert.match(help.stdout, new RegExp(`\\b${c}\\b`));
    const open = await runCli(['open', '--help']);
    for (const f of ['--allow', '--duration', '--no-wait', '--retries', '--decoys', '--quiet', '--json'])
      assert.ok(open.stdout.includes(f), f);
    assert.match((await runCli(['--version'])).stdout, /^\d+\.\d+\.\d+/);
    const bad = await runCli(['open']);
    assert.equal(bad.code, 2);
  });

  test('import (also from stdin), list, remove; never prints keys', async (t) => {
    const { config, env, made } = await setup(t, { web1: {} });
    if (process.platform !== 'win32') assert.equal(statSync(config).mode & 0o777, 0o600);
    const uri2 = encodeProfile(makeProfile({ server: 'db', host: 'db.example' }));
    const viaStdin = await runCli(['import', '-', '--name', 'db-prod'], env, `${uri2}\n`);
    assert.equal(viaStdin.code, 0, viaStdin.stderr);
    const list = await runCli(['list'], env);
    assert.equal(list.code, 0);
    assert.match(list.stdout, /web1\s+web1\s+127\.0\.0\.1/);
    assert.match(list.stdout, /db-prod\s+db\s+db\.example/);
    const json = JSON.parse((await runCli(['list', '--json'], env)).stdout);
    assert.deepEqual(
      json.profiles.map((p: { name: string }) => p.name),
      ['web1', 'db-prod'],
    );
    const text = list.stdout + JSON.stringify(json);
    assert.ok(!text.includes('spak1') && !text.includes('spas1') && !text.includes('spa://v1/'));
    assert.ok(!text.includes(Buffer.from(made.web1!.clientSecret).toString('hex').slice(0, 16)));
    const clash = await runCli(['import', encodeProfile(made.web1!)], env);
    assert.equal(clash.code, 2);
    assert.match(clash.stderr, /already exists/);
    assert.equal((await runCli(['remove', 'db-prod'], env)).code, 0);
    const gone = await runCli(['remove', 'db-prod'], env);
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, /no profile named "db-prod"/);
    assert.doesNotMatch((await runCli(['list'], env)).stdout, /db-prod/);
    assert.ok(readFileSync(config, 'utf8').includes('[profiles.web1]'));
  });

  test('a profile file readable by others is refused, with the chmod fix', {
    skip: process.platform === 'win32',
  }, async (t) => {
    const { config, env } = await setup(t, { web1: {} });
    chmodSync(config, 0o644);
    const r = await runCli(['open', 'ssh', '--no-wait'], env);
    assert.equal(r.code, 3);
    assert.ok(r.stderr.includes(`chmod 600 ${config}`), r.stderr);
    const viaFlag = await runCli(['--config', config, 'list']);
    assert.equal(viaFlag.code, 3);
  });

  test('open --no-wait sends exactly one 336-byte packet the server accepts', async (t) => {
    const sock = createSocket('udp4');
    const got: Buffer[] = [];
    sock.on('message', (m) => got.push(m));
    sock.bind(0, '127.0.0.1');
    await once(sock, 'listening');
    t.after(() => sock.close());
    const { env, made } = await setup(t, { web1: { knock: { mode: 'fixed', port: sock.address().port } } });
    const r = await runCli(['open', 'ssh', '--no-wait', '--duration', '2m', '--allow', '198.51.100.7'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ssh on web1: sent to port \d+, not waiting \(asked for 2 min\)\n$/);
    await delay(100);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.length, PACKET_LENGTH);
    const v = serverVerify(made.web1!, new Uint8Array(got[0]!), Date.now());
    assert.ok(v.ok);
    assert.equal(v.value.payload.durationSeconds, 120);
    assert.equal(v.value.payload.target.kind, 'address');
  });

  test('open waits for the port; the success line; --json; --quiet', async (t) => {
    const { knock, port } = await opensOnKnock(t);
    const { env } = await setup(t, {
      web1: { knock: { mode: 'fixed', port: knock }, services: { ssh: { protocol: 'tcp', port } } },
    });
    const r = await runCli(['open', 'ssh@web1', '--duration', '30'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^ssh on web1 is open \(opened in [0-9.]+ m?s\); asked for 30 s, the server grants at most its max_duration\n$/,
    );
    assert.equal(r.stderr, '', 'no spinner when stderr is not a terminal');
    // The port now answers before any knock: the client says so instead of crediting the knock.
    const j = await runCli(['open', 'ssh', '--json'], env);
    const obj = JSON.parse(j.stdout);
    assert.equal(obj.ok, true);
    assert.equal(obj.status, 'already-open');
    assert.equal(obj.port, port);
    assert.equal(obj.durationSeconds, null);
    assert.equal(typeof obj.openedInMs, 'number');
    const q = await runCli(['open', 'ssh', '-q'], env);
    assert.equal(q.code, 0);
    assert.equal(q.stdout, '');
  });

  test('open -- COMMAND runs it and passes its exit code through', async (t) => {
    const port = await echoServer(t);
    const { env } = await setup(t, {
      web1: { knock: { mode: 'fixed', port: 9 }, services: { ssh: { protocol: 'tcp', port } } },
    });
    const r = await runCli(
      [
        'open',
        'ssh',
        '--',
        process.execPath,
        '-e',
        'console.log("ran", process.argv[1]); process.exit(7)',
        'x y',
      ],
      env,
    );
    assert.equal(r.code, 7, r.stderr);
    assert.equal(r.stdout, 'ran x y\n');
    assert.match(r.stderr, /ssh on web1 was already open before the knock/);
    const missing = await runCli(['open', 'ssh', '--', 'no-such-command-spa-test'], env);
    assert.equal(missing.code, 127);
    assert.match(missing.stderr, /cannot run "no-such-command-spa-test" \(ENOENT\)/);
  });

  test('errors name the cause: unknown service, ambiguous, bad flags, no answer', async (t) => {
    const { env } = await setup(t, { web1: { knock: { mode: 'fixed', port: 9 } }, web2: {} });
    const unknown = await runCli(['open', 'ftp'], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown service "ftp"/);
    const amb = await runCli(['open', 'ssh'], env);
    assert.equal(amb.code, 2);
    assert.match(amb.stderr, /offered by several profiles: web1, web2/);
    const allow = await runCli(['open', 'ssh@web1', '--allow', 'example.com'], env);
    assert.equal(allow.code, 2);
    assert.match(allow.stderr, /--allow "example.com": not an IP address/);
    const dur = await runCli(['open', 'ssh@web1', '--duration', 'soon'], env);
    assert.match(dur.stderr, /--duration "soon"/);
    // A port that refuses: the service never opens.
    const srv = createServer();
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const deadPort = (srv.address() as { port: number }).port;
    srv.close();
    const { env: env3 } = await setup(t, {
      dead: { knock: { mode: 'fixed', port: 9 }, services: { ssh: { protocol: 'tcp', port: deadPort } } },
    });
    const start = Date.now();
    const fail = await runCli(['open', 'ssh', '--retries', '0', '--json'], env3);
    assert.equal(fail.code, 5);
    assert.ok(Date.now() - start < 5000);
    assert.match(fail.stderr, /no answer in 1 s: ssh \(port \d+\/tcp\) on dead did not open/);
    assert.match(
      fail.stderr,
      /check the clock: this machine says 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ \(UTC\); the server accepts knocks within ±30 s/,
    );
    const obj = JSON.parse(fail.stdout);
    assert.equal(obj.ok, false);
    assert.equal(obj.code, 'no-answer');
    assert.doesNotMatch(fail.stderr, /Warning|node:/, 'no Node warning on a failed open');
    // A Node warning raised while the command runs never reaches the user (shown with SPA_DEBUG).
    const planted = { ...env3, NODE_OPTIONS: PLANT_WARNING };
    const quiet = await runCli(['open', 'ssh', '--retries', '0'], planted);
    assert.equal(quiet.code, 5);
    assert.doesNotMatch(quiet.stderr, /planted|Warning/, quiet.stderr);
    const debug = await runCli(['open', 'ssh', '--retries', '0'], { ...planted, SPA_DEBUG: '1' });
    assert.match(debug.stderr, /spa-client debug: Warning: planted/);
  });

  test('control characters from a profile or an argument are escaped in every message', async (t) => {
    const { env } = await setup(t, { web1: {} });
    const ESC = '\x1b';
    // A profile with a valid checksum whose service name carries terminal escape sequences.
    const body = JSON.parse(
      Buffer.from(
        encodeProfile(makeProfile()).slice('spa://v1/'.length).split('.')[0]!,
        'base64url',
      ).toString(),
    );
    body.services = { [`ssh${ESC}]0;pwned\x07${ESC}[2J`]: '22/tcp' };
    const json = Buffer.from(JSON.stringify(body));
    const sum = createHash('sha256').update('spa profile v1').update(json).digest('hex').slice(0, 8);
    const crafted = `spa://v1/${json.toString('base64url')}.${sum}`;
    const imp = await runCli(['import', '-'], env, `${crafted}\n`);
    assert.equal(imp.code, 2, imp.stderr);
    assert.match(imp.stderr, /service name "ssh\\x1b\]0;pwned\\x07\\x1b\[2J"/);
    const arg = await runCli(['open', `ss${ESC}[31mh`], env);
    const json2 = await runCli(['open', `ss\u009bh`, '--json'], env);
    for (const r of [imp, arg, json2]) {
      assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(r.stderr + r.stdout), JSON.stringify(r));
    }
    assert.match(arg.stderr, /ss\\x1b\[31mh/);
  });

  test('proxy HOST PORT pipes stdin/stdout through the opened port', async (t) => {
    const port = await echoServer(t);
    const { env } = await setup(t, {
      web1: { knock: { mode: 'fixed', port: 9 }, services: { ssh: { protocol: 'tcp', port } } },
    });
    const r = await runCli(['proxy', '127.0.0.1', String(port)], env, 'SSH-2.0-OpenSSH_9.2\r\nhello\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'SSH-2.0-OpenSSH_9.2\r\nhello\n');
    assert.equal(r.stderr, '');
    const none = await runCli(['proxy', 'elsewhere.example', '22'], env);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no profile for host "elsewhere.example"/);
    assert.equal(none.stdout, '');
  });

  test('ports prints the sequence, its validity and command lines; knock without a sequence fails', async (t) => {
    const { env } = await setup(t, {
      web1: {},
      plain: { sequence: undefined, services: { rdp: { protocol: 'tcp', port: 3389 } } },
    });
    const r = await runCli(['ports', 'ssh@web1'], env);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.match(lines[0]!, /^ssh on web1: ((tcp|udp):5\d{4} ?){4}$/);
    const valid = Number(/valid for (\d+) s/.exec(lines[1]!)?.[1]);
    assert.ok(valid >= 30 && valid <= 60, lines[1]);
    assert.match(lines[2]!, /^ {2}knock -d 100 127\.0\.0\.1( 5\d{4}:(tcp|udp)){4}$/);
    assert.match(lines[3]!, /nc (-u )?-z -w 1 127\.0\.0\.1 5\d{4}/);
    const j = JSON.parse((await runCli(['ports', 'ssh@web1', '--json'], env)).stdout);
    assert.equal(j.knocks.length, 4);
    const k = await runCli(['knock', 'rdp'], env);
    assert.equal(k.code, 2);
    assert.match(k.stderr, /has no knock sequences/);
  });

  test('a reader that closes early (list | head -1) ends it quietly, no EPIPE stack', async (t) => {
    const profiles: Record<string, Partial<ClientProfile>> = {};
    for (let i = 0; i < 3; i++) profiles[`s${i}`] = {};
    const { env } = await setup(t, profiles);
    for (const args of [['list'], ['list', '--json'], ['--help']]) {
      const child = spawn(process.execPath, [BIN, ...args], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.destroy(); // the reader is gone before the first write
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const [code] = await once(child, 'exit');
      assert.doesNotMatch(stderr, /EPIPE|Unhandled|at /, args.join(' '));
      assert.equal(code, 0, `${args.join(' ')}: ${stderr}`);
    }
  });

  test('knock twice in one step: the second is refused (exit 7), the memory file is 0600', async (t) => {
    const state = tempDir(t);
    const { env } = await setup(t, { web1: {} });
    const env2 = { ...env, SPA_CLIENT_STATE_DIR: state };
    const left = msLeftInStep(Date.now(), 30);
    if (left < 8000) await delay(left + 50); // both knocks in one step
    const first = await runCli(['knock', 'ssh', '--no-wait', '--gap', '1'], env2);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(statSync(join(state, 'sent-sequences.json')).mode & 0o777, 0o600);
    const second = await runCli(['knock', 'ssh', '--no-wait', '--gap', '1'], env2);
    assert.equal(second.code, 7, second.stderr);
    assert.match(second.stderr, /was already sent at .*; the server accepts each sequence once/);
  });
});
