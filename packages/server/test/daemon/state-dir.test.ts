/**
 * Issue 12, item 9 — root follows symlinks in the state directory. The attack: a state_dir
 * owned by another user, who plants symlinks named like the daemon's files (pid file, replay
 * log and its temp file, the trial request) pointing at root-owned files elsewhere. The
 * daemon (root) must refuse such a directory, and must never write through a symlink even
 * in a directory it does accept. Needs root (chown to another user).
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { probeStateDir } from '../../src/cli/probes.js';
import { runDaemon } from '../../src/daemon/run.js';
import { REPLAY_FILE } from '../../src/replay/record.js';
import { memoryLog, NOW, stateDir } from '../pipeline/_harness.js';
import { FakeFirewall } from '../support/fake-firewall.js';
import { FakePacketSource } from '../support/fake-source.js';
import { Fixture } from '../support/fixture.js';

const root = process.getuid?.() === 0;
const NOBODY = 65534;

/** Root-owned files outside the state directory that the attacker points symlinks at. */
function victims(base: string): Record<string, string> {
  const dir = join(base, 'victims');
  mkdirSync(dir, { mode: 0o700 });
  const out: Record<string, string> = {};
  for (const name of ['pid', 'replay', 'tmp', 'trial']) {
    out[name] = join(dir, name);
    writeFileSync(out[name], `precious ${name}\n`, { mode: 0o600 });
  }
  return out;
}

function plant(dir: string, v: Record<string, string>, withReplay: boolean): void {
  symlinkSync(v.pid!, join(dir, 'spa-server.pid'));
  if (withReplay) symlinkSync(v.replay!, join(dir, REPLAY_FILE));
  symlinkSync(v.tmp!, join(dir, `${REPLAY_FILE}.tmp`));
  symlinkSync(v.trial!, join(dir, 'reload-trial.json'));
}

function untouched(v: Record<string, string>): void {
  for (const [name, path] of Object.entries(v))
    assert.equal(readFileSync(path, 'utf8'), `precious ${name}\n`, `${path} was written through a symlink`);
}

/** Start the daemon on fakes over `dir`; resolves with the start error, or stops it and resolves undefined. */
async function startOn(dir: string): Promise<Error | undefined> {
  const fixture = new Fixture({ stateDir: dir, logLevel: 'debug' });
  const signals = new (await import('node:events')).EventEmitter();
  let ready!: () => void;
  const up = new Promise<void>((r) => {
    ready = r;
  });
  const done = runDaemon({
    configPath: fixture.config.path,
    logger: memoryLog().logger,
    deps: {
      source: new FakePacketSource({ now: () => NOW }),
      firewall: new FakeFirewall({ now: () => NOW }),
      signals,
      clock: { now: () => NOW, monotonic: () => 0 },
      loadConfig: () => fixture.config,
    },
    testSeams: { onReady: () => ready() },
  });
  const outcome = await Promise.race([
    up.then(() => 'up' as const),
    done.then(
      () => 'ended' as const,
      (e: Error) => e,
    ),
  ]);
  if (outcome === 'up') {
    signals.emit('SIGTERM');
    await done;
    return undefined;
  }
  if (outcome === 'ended') assert.fail('runDaemon ended without starting');
  return outcome;
}

describe('state directory: owned by root, no symlinks followed', {
  skip: root ? false : 'needs root (chown)',
}, () => {
  it('a state dir owned by another user is refused, with the fix; nothing is written through its symlinks', async () => {
    const base = stateDir();
    const dir = join(base, 'state');
    mkdirSync(dir, { mode: 0o755 });
    chownSync(dir, NOBODY, NOBODY);
    const v = victims(base);
    plant(dir, v, true);
    const err = await startOn(dir);
    assert.ok(err, 'the daemon must refuse to start');
    assert.equal((err as { code?: string }).code, 'state-dir-unsafe');
    assert.match(err.message, new RegExp(`${dir}.*owned by uid ${NOBODY}`));
    assert.match((err as { hint?: string }).hint ?? '', /chown root:root .*chmod 700/);
    untouched(v);
    const probe = probeStateDir(dir);
    assert.equal(probe.ok, false, 'spa-server check fails');
    assert.match(probe.hint ?? '', /chown root:root/);
  });

  it('a root-owned state dir writable by group or other is refused', async () => {
    const base = stateDir();
    const dir = join(base, 'state');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const err = await startOn(dir);
    assert.equal((err as { code?: string } | undefined)?.code, 'state-dir-unsafe');
    assert.match(err!.message, /writable by group or other/);
    assert.equal(probeStateDir(dir).ok, false);
    chmodSync(dir, 0o700);
    assert.equal(probeStateDir(dir).ok, true);
  });

  it('a good dir with planted symlinks: none is followed (pid file, replay temp file, trial request)', async () => {
    const base = stateDir();
    const dir = join(base, 'state');
    mkdirSync(dir, { mode: 0o700 });
    const v = victims(base);
    plant(dir, v, false);
    const err = await startOn(dir);
    assert.equal(err, undefined, `started: ${err?.message}`);
    untouched(v);
    assert.ok(lstatSync(join(dir, REPLAY_FILE)).isFile(), 'the replay log is a regular file');
  });

  it('a replay log that is a symlink is not read or written: the daemon refuses with the file named', async () => {
    const base = stateDir();
    const dir = join(base, 'state');
    mkdirSync(dir, { mode: 0o700 });
    const v = victims(base);
    symlinkSync(v.replay!, join(dir, REPLAY_FILE));
    const err = await startOn(dir);
    assert.ok(err, 'refused');
    assert.match(err.message, new RegExp(`${join(dir, REPLAY_FILE)}.*symlink`));
    untouched(v);
  });
});
