/**
 * Scenario 12 of issue 5: a bad configuration gives a clear error (the file and the key), a
 * non-zero exit, and an untouched firewall: `nft list ruleset` on the server host is the same
 * before and after, both with no spa table at all and with a foreign `table inet other`.
 * The daemon of this lab is never started, so no spa table exists unless `run` makes one.
 */
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { labAvailable } from '../lab/index.js';
import { SERVER_BIN, type SpaLab, startSpaLab } from '../spa/fixture.js';
import { setTomlKey } from '../spa/toml-edit.js';

interface BadConfig {
  what: string;
  /** The file's text from the good one. */
  edit: (text: string) => string;
  mode?: number;
  /** What stderr must name besides the file. */
  names: RegExp;
}

const CASES: BadConfig[] = [
  {
    what: 'a bad service spec',
    edit: (t) => setTomlKey(t, 'services', 'ssh', '"22/xyz"'),
    names: /services\.ssh/,
  },
  {
    what: 'an unknown firewall backend',
    edit: (t) => setTomlKey(t, 'firewall', 'backend', '"pf"'),
    names: /firewall\.backend/,
  },
  {
    what: 'an unknown log level',
    edit: (t) => setTomlKey(t, 'server', 'log_level', '"loud"'),
    names: /server\.log_level/,
  },
  {
    what: 'a misspelt key',
    edit: (t) => setTomlKey(t, 'policy', 'default_durration', '"30s"'),
    names: /default_durration/,
  },
  {
    what: 'a service port inside the knock port range',
    edit: (t) => setTomlKey(t, 'services', 'web', '"45000/tcp"'),
    names: /services\.web|knock\.port_range/,
  },
  {
    what: 'a client allowed an undefined service',
    edit: (t) => setTomlKey(t, 'clients.alice', 'services', '["ssh", "rdp"]'),
    names: /clients\.alice\.services/,
  },
  {
    what: 'not TOML',
    edit: (t) => `${t}\n[policy\n`,
    names: /line|TOML|syntax/i,
  },
  {
    what: 'loose permissions (0644)',
    edit: (t) => t,
    mode: 0o644,
    names: /0644|chmod|permission|mode/i,
  },
];

describe('bad configuration', () => {
  let spa: SpaLab | undefined;

  before(async (t) => {
    if (!labAvailable(t as unknown as { skip(m?: string): void })) return;
    spa = await startSpaLab({ start: false });
  });
  after(async () => {
    await spa?.teardown();
  });

  async function ruleset(lab: SpaLab): Promise<string> {
    const r = await lab.lab.exec('server', ['nft', 'list', 'ruleset']);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  }

  /** `spa-server run` with every bad file in turn: clear error, non-zero exit, ruleset unchanged. */
  async function runEveryCase(lab: SpaLab, t: { diagnostic(m: string): void }): Promise<void> {
    const good = readFileSync(lab.configPath, 'utf8');
    for (const [i, c] of CASES.entries()) {
      const file = join(lab.dir, `bad-${i}.toml`);
      writeFileSync(file, c.edit(good), { mode: 0o600 });
      chmodSync(file, c.mode ?? 0o600);
      const before = await ruleset(lab);
      const r = await lab.lab.exec('server', ['node', SERVER_BIN, 'run', '--config', file], {
        timeoutMs: 15_000,
      });
      t.diagnostic(`${c.what}: exit ${r.code}: ${r.stderr.trim().split('\n').join(' / ')}`);
      assert.equal(r.timedOut, false, `${c.what}: spa-server run must exit, not run`);
      assert.notEqual(r.code, 0, `${c.what}: non-zero exit`);
      assert.equal(r.code, 2, `${c.what}: exit 2 = configuration error`);
      assert.ok(r.stderr.includes(file), `${c.what}: stderr names the file: ${r.stderr}`);
      assert.match(r.stderr, c.names, `${c.what}: stderr names the key`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, `${c.what}: no stack trace`);
      assert.equal(await ruleset(lab), before, `${c.what}: the firewall was not touched`);
    }
  }

  test('12a. a bad config: clear error, non-zero exit, no spa table created', async (t) => {
    if (!labAvailable(t) || !spa) return;
    assert.equal((await ruleset(spa)).trim(), '', 'no ruleset before');
    await runEveryCase(spa, t);
    assert.equal((await ruleset(spa)).trim(), '', 'still no ruleset');
  });

  test('12b. a bad config leaves a foreign table alone', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const other = [
      'table inet other {',
      '  chain input {',
      '    type filter hook input priority 0; policy accept;',
      '    tcp dport 9999 drop',
      '  }',
      '}',
      '',
    ].join('\n');
    const add = await spa.lab.exec('server', ['nft', '-f', '-'], { input: other });
    assert.equal(add.code, 0, add.stderr);
    const before = await ruleset(spa);
    assert.match(before, /table inet other/);
    await runEveryCase(spa, t);
    assert.equal(await ruleset(spa), before);
    assert.doesNotMatch(before, /table inet spa/);
  });

  /*
   * Regression: Daemon.start once raised the guard before opening the capture, so a capture
   * that could not open (no such interface) left `table inet spa` behind with the guarded
   * ports dropped. Capture now opens first.
   */
  test('12c. a capture interface that does not exist: clear error, non-zero exit, firewall untouched', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const file = join(spa.dir, 'bad-interface.toml');
    writeFileSync(
      file,
      setTomlKey(readFileSync(spa.configPath, 'utf8'), 'server', 'interfaces', '["nope0"]'),
      {
        mode: 0o600,
      },
    );
    const before = await ruleset(spa);
    const r = await spa.lab.exec('server', ['node', SERVER_BIN, 'run', '--config', file], {
      timeoutMs: 15_000,
    });
    t.diagnostic(`exit ${r.code ?? r.signal}: ${r.stderr.trim().split('\n').join(' / ')}`);
    assert.equal(r.timedOut, false, 'spa-server run must exit');
    assert.notEqual(r.code, 0);
    assert.equal(r.signal, null, 'an error exit, not a crash');
    assert.match(r.stderr, /nope0/, 'stderr names the interface');
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    const afterRun = await ruleset(spa);
    if (afterRun !== before && !/table inet spa/.test(before)) {
      // Leave the lab as it was for whatever runs next.
      await spa.lab.exec('server', ['nft', 'delete', 'table', 'inet', 'spa']);
    }
    assert.equal(afterRun, before, 'the firewall was not touched');
  });
});
