/** `spa-server import-fwknop` on a temp config: report, written text, round trip through loadConfig, re-run, dry run. */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CliError, EXIT } from '../../src/cli/errors.js';
import { importFwknop } from '../../src/cli/import-fwknop.js';
import type { Io } from '../../src/cli/io.js';
import { loadConfig } from '../../src/config/load.js';
import { HMAC_A, HMAC_C, KEY_A, KEY_C, NOW, THREE } from '../fwknop-import/_fixtures.js';
import { initArgs, runCli, tempDir } from './_cli.js';

function capture(): Io & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    out: (t) => {
      out += `${t}\n`;
    },
    err: (t) => {
      err += `${t}\n`;
    },
    env: {},
    stdout: () => out,
    stderr: () => err,
  };
}

async function setup(): Promise<{ dir: string; config: string; access: string }> {
  const dir = tempDir();
  const config = join(dir, 'server.toml');
  const r = await runCli(initArgs(config, dir));
  assert.equal(r.code, 0, r.stderr);
  mkdirSync(join(dir, 'fwknop', 'access.d'), { recursive: true });
  const access = join(dir, 'fwknop', 'access.conf');
  writeFileSync(
    access,
    `${THREE}\n%include_folder access.d\n\n# the stock stanza, never filled in\nSOURCE ANY\nKEY_BASE64 __CHANGEME__\nHMAC_KEY_BASE64 __CHANGEME__\n`,
  );
  writeFileSync(
    join(dir, 'fwknop', 'access.d', 'carol.conf'),
    `SOURCE 203.0.113.0/24\nKEY_BASE64 ${KEY_C}\nHMAC_KEY_BASE64 ${HMAC_C}\nOPEN_PORTS tcp/443\nREQUIRE_USERNAME carol\nGPG_HOME_DIR /root/.gnupg\n`,
  );
  writeFileSync(
    join(dir, 'fwknop', 'access.d', 'gpg.conf'),
    'SOURCE ANY\nGPG_DECRYPT_ID ABCD1234\nGPG_DECRYPT_PW s3cret\nOPEN_PORTS tcp/22\n',
  );
  return { dir, config, access };
}

test('imports every importable stanza, reports the rest, and the result loads', async () => {
  const { config, access } = await setup();
  const before = readFileSync(config, 'utf8');
  const io = capture();
  const code = importFwknop({ configPath: config, accessConfPath: access, now: () => NOW }, io);
  assert.equal(code, EXIT.ok, io.stderr());
  const out = io.stdout();
  assert.match(
    out,
    /^stanza 1 \(access\.conf:4, SOURCE 198\.51\.100\.7\): imported as fwknop client alice$/m,
  );
  assert.match(out, /^ {2}carried {6}KEY_BASE64 → key_base64 \(set\)$/m);
  assert.match(out, /^ {2}carried {6}OPEN_PORTS tcp\/22 → services = \["ssh"\]$/m);
  assert.match(out, /^stanza 3 \(access\.conf:20, SOURCE ANY\): imported as fwknop client fwknop-3$/m);
  assert.match(out, /^ {2}not carried {2}ENABLE_CMD_EXEC=Y \(line 25\): spa refuses command requests/m);
  assert.match(out, /^access\.conf:28: %include_folder access\.d: read 1 stanza from .*carol\.conf$/m);
  assert.match(
    out,
    /^stanza 4 \(access\.d\/carol\.conf:1, SOURCE 203\.0\.113\.0\/24\): imported as fwknop client carol$/m,
  );
  assert.match(out, /^ {2}not carried {2}GPG_HOME_DIR=\/root\/\.gnupg \(line 6\): GPG is not supported/m);
  assert.match(out, /^stanza 5 \(access\.d\/gpg\.conf:1, SOURCE ANY\): skipped: GPG-only stanza/m);
  assert.match(out, /^stanza 6 \(access\.conf:31, SOURCE ANY\): skipped: KEY_BASE64 is still __CHANGEME__/m);
  assert.match(out, /^ {2}fix: make keys with fwknop --key-gen/m);
  for (const secret of [KEY_A, HMAC_A, KEY_C, 'a passphrase', 's3cret'])
    assert.ok(!out.includes(secret), secret);
  assert.match(io.stderr(), /6 stanzas: 4 imported, 0 already imported, 2 skipped; written to/);
  assert.match(io.stderr(), /reload/);

  const text = readFileSync(config, 'utf8');
  assert.ok(text.startsWith(before.trimEnd().split('[services]')[0]!), 'the head of the file is untouched');
  assert.match(text, /\[services\][^[]*openvpn = "1194\/udp"\ntcp8443 = "8443\/tcp"\n/);
  assert.match(
    text,
    /\n\[fwknop_clients\.alice\]\nkey_base64 = ".+"\nhmac_key_base64 = ".+"\nservices = \[ "ssh" \]\n/,
  );
  assert.equal(statSync(config).mode & 0o777, 0o600);

  const loaded = loadConfig(config);
  assert.deepEqual([...loaded.fwknop.clients.keys()], ['alice', 'fwknop-2', 'fwknop-3', 'carol']);
  const alice = loaded.fwknop.clients.get('alice')!;
  assert.deepEqual(alice.services, ['ssh']);
  assert.equal(alice.requireUsername, 'alice');
  assert.equal(alice.requireLiteralAddress, true);
  assert.equal(alice.defaultDurationSeconds, 60);
  assert.deepEqual(Buffer.from(alice.encKey), Buffer.from(KEY_A, 'base64'));
  const two = loaded.fwknop.clients.get('fwknop-2')!;
  assert.equal(two.hmacDigest, 'sha512');
  assert.deepEqual(two.services, ['ssh', 'openvpn']);
  assert.equal(two.expiresAtMs, Date.UTC(2027, 0, 31));
  assert.equal(two.maxDurationSeconds, 600);
  assert.deepEqual(Buffer.from(loaded.fwknop.clients.get('fwknop-3')!.encKey).toString(), 'a passphrase');
  assert.deepEqual(loaded.services.get('tcp8443'), { name: 'tcp8443', protocol: 'tcp', port: 8443 });

  // Re-running changes nothing and says why.
  const again = capture();
  assert.equal(
    importFwknop({ configPath: config, accessConfPath: access, now: () => NOW }, again),
    EXIT.config,
  );
  assert.match(
    again.stdout(),
    /^stanza 1 .*: already imported as fwknop client alice \(same keys\); nothing to do$/m,
  );
  assert.match(again.stderr(), /0 imported, 4 already imported, 2 skipped/);
  assert.equal(readFileSync(config, 'utf8'), text);
});

test('--dry-run prints the same report and writes nothing', async () => {
  const { config, access } = await setup();
  const before = readFileSync(config, 'utf8');
  const io = capture();
  assert.equal(
    importFwknop({ configPath: config, accessConfPath: access, dryRun: true, now: () => NOW }, io),
    EXIT.ok,
  );
  assert.match(io.stdout(), /^stanza 1 .*: would import as fwknop client alice$/m);
  assert.match(io.stderr(), /dry run: nothing written/);
  assert.equal(readFileSync(config, 'utf8'), before);
});

test('--services for stanzas without OPEN_PORTS, --prefix for names', async () => {
  const { dir, config } = await setup();
  const access = join(dir, 'plain.conf');
  writeFileSync(access, `SOURCE ANY\nKEY_BASE64 ${KEY_A}\nHMAC_KEY_BASE64 ${HMAC_A}\n`);
  const refused = capture();
  assert.equal(importFwknop({ configPath: config, accessConfPath: access }, refused), EXIT.config);
  assert.match(refused.stdout(), /skipped: no OPEN_PORTS.*\n {2}fix: .*--services ssh/);
  const io = capture();
  assert.equal(
    importFwknop({ configPath: config, accessConfPath: access, services: ['https'], prefix: 'old' }, io),
    EXIT.ok,
  );
  assert.match(
    io.stdout(),
    /imported as fwknop client old-1\n {2}carried {6}SOURCE ANY → allowed_sources = \[\] \(anywhere\)/,
  );
  assert.deepEqual(loadConfig(config).fwknop.clients.get('old-1')!.services, ['https']);
  assert.throws(
    () => importFwknop({ configPath: config, accessConfPath: access, services: ['nope'] }, capture()),
    (e: unknown) =>
      e instanceof CliError && e.exitCode === EXIT.usage && /unknown service "nope"/.test(e.message),
  );
});

test('an unreadable access.conf is an error naming the file; a missing include is reported', async () => {
  const { dir, config } = await setup();
  assert.throws(
    () => importFwknop({ configPath: config, accessConfPath: join(dir, 'nope.conf') }, capture()),
    (e: unknown) =>
      e instanceof CliError && e.exitCode === EXIT.runtime && /nope\.conf: no such file/.test(e.message),
  );
  const access = join(dir, 'inc.conf');
  writeFileSync(
    access,
    `%include missing.conf\nSOURCE ANY\nKEY_BASE64 ${KEY_A}\nHMAC_KEY_BASE64 ${HMAC_A}\nOPEN_PORTS tcp/22\n`,
  );
  const io = capture();
  assert.equal(importFwknop({ configPath: config, accessConfPath: access }, io), EXIT.ok);
  assert.match(
    io.stdout(),
    /^inc\.conf:1: %include missing\.conf: not read: .*missing\.conf: no such file or directory$/m,
  );
});
