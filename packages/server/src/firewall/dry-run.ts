/**
 * Dry run: checks and logs what a backend would do, changes nothing. Keeps grants in memory
 * with the injected clock so that list() and revoke() behave like the real thing.
 */
import { canonicalAddress, checkGrant, checkGuarded } from './check.js';
import type { Clock, Firewall, Grant, GuardedPort, LiveGrant, LogFn, TrialSupport } from './firewall.js';
import { GrantTable } from './memory.js';

export interface DryRunOptions {
  log: LogFn;
  now?: Clock;
}

export class DryRunFirewall implements Firewall {
  readonly name = 'dry-run';
  static readonly trial: TrialSupport = 'daemon';
  readonly trial = DryRunFirewall.trial;
  readonly #log: LogFn;
  readonly #grants: GrantTable;

  constructor(options: DryRunOptions) {
    this.#log = options.log;
    this.#grants = new GrantTable(options.now ?? Date.now);
  }

  async start(guarded: GuardedPort[]): Promise<void> {
    const ports = checkGuarded(guarded);
    this.#log('firewall (dry run): would guard ports', {
      guarded: ports.map(
        (p) =>
          `${p.protocol}/${p.port}${p.trialSeconds === undefined ? '' : ` (trial, ${p.trialSeconds} s)`}`,
      ),
    });
  }

  async grant(g: Grant): Promise<void> {
    const asked = checkGrant(g);
    // Never shorter than a live grant of the same tuple (like the kernel backends).
    const c = { ...asked, seconds: this.#grants.seconds(asked) };
    this.#log('firewall (dry run): would grant', {
      address: c.address,
      protocol: c.protocol,
      port: c.port,
      seconds: c.seconds,
    });
    this.#grants.put(c);
  }

  async list(): Promise<LiveGrant[]> {
    return this.#grants.list();
  }

  async revoke(address: string): Promise<number> {
    const a = canonicalAddress(address);
    const removed = this.#grants.take(a.text).length;
    this.#log('firewall (dry run): would revoke', { address: a.text, removed });
    return removed;
  }

  async stop(mode: 'keep' | 'remove'): Promise<void> {
    this.#log('firewall (dry run): would stop', { mode });
    if (mode === 'remove') this.#grants.clear();
  }
}
