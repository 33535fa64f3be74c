/**
 * The whole demo: preflight, the lab with a real spa-server, the steps in order, teardown,
 * a check that nothing is left, the summary. `run()` resolves true only if every check
 * passed. `cleanup()` is idempotent and bounded, for the entry's signal handlers.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { listNamespaces } from '@spa/netns';
import { SERVER_HOSTNAME, type SpaLab, startSpaLab } from '../spa/fixture.js';
import { type Demo, GRANT_SECONDS, SSH, WEB } from './context.js';
import { labPicture } from './lab-picture.js';
import { demoPreflight } from './preflight.js';
import { ServerLog } from './server-log.js';
import { grantsExpire } from './step-expiry.js';
import { fwknopClientOpens } from './step-fwknop.js';
import { replaySniffedPacket } from './step-replay.js';
import { oneTimeSequence } from './step-sequence.js';
import { twoFactorOpens } from './step-two-factor.js';
import { attackerStillShut, closedByDefault, openWithOnePacket } from './steps-open.js';
import type { Transcript } from './transcript.js';

const CLEANUP_TIMEOUT_MS = 15_000;

function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}

export class DemoRun {
  readonly t: Transcript;
  #starting: Promise<SpaLab> | undefined;
  #cleanup: Promise<void> | undefined;

  constructor(t: Transcript) {
    this.t = t;
  }

  async run(): Promise<boolean> {
    const started = performance.now();
    const { t } = this;
    t.title('spa demo: single-packet authorization, in a throw-away network lab on this machine');
    const missing = demoPreflight();
    if (missing.length > 0) {
      for (const m of missing) t.line(`cannot run the demo: ${m.what}\n   how to fix: ${m.fix}`);
      return false;
    }
    t.progress('starting the lab: network namespaces, spa-server, the guarded services …');
    let spa: SpaLab;
    try {
      this.#starting = startSpaLab({ config: [['policy', 'default_duration', `"${GRANT_SECONDS}s"`]] });
      spa = await this.#starting;
    } catch (err) {
      t.progress('', true);
      t.line(`could not start the lab: ${message(err)}`);
      await this.cleanup();
      return false;
    }
    t.progress(`lab up in ${((performance.now() - started) / 1000).toFixed(1)} s`, true);
    t.line();
    for (const l of labPicture(
      spa.lab.hosts,
      SERVER_HOSTNAME,
      `${SSH.name} ${SSH.port}/tcp, ${WEB.name} ${WEB.port}/tcp`,
    ))
      t.line(`  ${l}`);
    t.line();
    t.line('Each host is a network namespace. Commands are shown as you would type them (the demo');
    t.line('adds --config for its temporary files); │ lines are their real output, and server log');
    t.line('lines are the daemon’s JSON log without level, time and component.');

    const d: Demo = {
      spa,
      t,
      log: new ServerLog(spa),
      server: spa.lab.hosts.server,
      client: spa.lab.hosts.client,
      attacker: spa.lab.hosts.attacker,
    };
    try {
      await closedByDefault(d);
      const sniffed = await openWithOnePacket(d);
      await attackerStillShut(d);
      await replaySniffedPacket(d, sniffed);
      await oneTimeSequence(d);
      await grantsExpire(d);
      await fwknopClientOpens(d);
      await twoFactorOpens(d);
    } catch (err) {
      t.check(false, `stopped by an error: ${message(err)}`);
    } finally {
      await this.cleanup();
    }
    this.#checkNothingLeft(spa);
    t.summary((performance.now() - started) / 1000);
    return t.passed;
  }

  /** Tears the lab down (also while it is still starting); idempotent, bounded. */
  cleanup(): Promise<void> {
    this.#cleanup ??= (async () => {
      const spa = await this.#starting?.catch(() => undefined);
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((r) => {
        timer = setTimeout(r, CLEANUP_TIMEOUT_MS);
      });
      await Promise.race([spa?.teardown(), bound]);
      clearTimeout(timer);
    })();
    return this.#cleanup;
  }

  #checkNothingLeft(spa: SpaLab): void {
    const { t } = this;
    t.begin('Nothing is left behind');
    const ns = new Set(listNamespaces());
    const left = [
      ...spa.lab.namespaces.filter((n) => ns.has(n)).map((n) => `namespace ${n}`),
      ...spa.lab.namespaces.filter((n) => existsSync(join('/etc/netns', n))).map((n) => `/etc/netns/${n}`),
      ...(existsSync(spa.dir) ? [spa.dir] : []),
    ];
    t.check(
      left.length === 0,
      left.length === 0
        ? `lab torn down: its ${spa.lab.namespaces.length} namespaces (with their nftables rules and processes) and temporary files are gone`
        : `left behind: ${left.join(', ')}`,
    );
  }
}
