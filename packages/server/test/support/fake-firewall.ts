/**
 * In-memory Firewall for other parts' unit tests: checks input like the real backends,
 * records every call, keeps grants with an injected clock, and can be told to fail.
 *
 *   const fw = new FakeFirewall({ now: () => clock });
 *   await daemonUnderTest(fw);
 *   assert.deepEqual(fw.calls.map((c) => c.method), ['start', 'grant']);
 *   fw.failNext('grant', new FirewallError('firewall-failed', 'boom'));
 */
import { canonicalAddress, checkGrant, checkGuarded } from '../../src/firewall/check.js';
import {
  type Clock,
  type Firewall,
  FirewallError,
  type Grant,
  type GuardedPort,
  type GuardState,
  type LiveGrant,
  type TrialSupport,
} from '../../src/firewall/firewall.js';
import { GrantTable } from '../../src/firewall/memory.js';

export type FakeCall =
  | { method: 'start'; guarded: GuardedPort[] }
  | { method: 'grant'; grant: Grant }
  | { method: 'list' }
  | { method: 'revoke'; address: string }
  | { method: 'stop'; mode: 'keep' | 'remove' };

export type FakeMethod = FakeCall['method'];

export class FakeFirewall implements Firewall {
  readonly name = 'fake';
  static readonly trial: TrialSupport = 'daemon';
  readonly trial = FakeFirewall.trial;
  /** Every call in order, with copies of its arguments (recorded even when it then fails). */
  readonly calls: FakeCall[] = [];
  /** The guarded ports of the last successful start(), or undefined. */
  guarded: GuardedPort[] | undefined;
  /** 'running' after start(), the stop mode after stop(). */
  state: 'new' | 'running' | 'keep' | 'remove' = 'new';
  readonly #grants: GrantTable;
  readonly #failures = new Map<FakeMethod, Error[]>();
  /** Set by sabotage(): as if another tool removed the guard and every grant. */
  #gone = false;

  constructor(options: { now?: Clock } = {}) {
    this.#grants = new GrantTable(options.now ?? Date.now);
  }

  /** The next call of `method` rejects with `error` (queued: call it twice for two failures). */
  failNext(method: FakeMethod, error: Error): void {
    const q = this.#failures.get(method) ?? [];
    q.push(error);
    this.#failures.set(method, q);
  }

  /**
   * What `nft flush ruleset` does to a kernel backend: the guard and all grants are gone;
   * intact() says false and grant() fails until start() or heal() rebuilds it.
   */
  sabotage(): void {
    this.#gone = true;
    this.guarded = undefined;
    this.#remembered = this.#grants.list(); // what a real backend's own bookkeeping keeps
    this.#grants.clear();
  }

  async intact(): Promise<boolean> {
    return !this.#gone && this.state === 'running';
  }

  /** The grants live at sabotage(), as a kernel backend remembers them. */
  #remembered: LiveGrant[] = [];

  /** Rebuilds the guard and puts back the grants it lost. */
  async heal(guarded: GuardedPort[]): Promise<number> {
    await this.start(guarded);
    const lost = this.#remembered;
    this.#remembered = [];
    for (const g of lost) this.#grants.put({ ...g, seconds: g.secondsLeft });
    return lost.length;
  }

  /** Live grants, synchronously. */
  grants(): LiveGrant[] {
    return this.#grants.list();
  }

  async start(guarded: GuardedPort[]): Promise<void> {
    this.calls.push({ method: 'start', guarded: guarded.map((p) => ({ ...p })) });
    this.#maybeFail('start');
    this.guarded = checkGuarded(guarded);
    this.state = 'running';
    this.#gone = false;
  }

  async guard(): Promise<GuardState[]> {
    return (this.guarded ?? []).map((p) =>
      p.trialSeconds === undefined
        ? { protocol: p.protocol, port: p.port }
        : { protocol: p.protocol, port: p.port, trialSecondsLeft: p.trialSeconds },
    );
  }

  async grant(g: Grant): Promise<void> {
    this.calls.push({ method: 'grant', grant: { ...g } });
    this.#maybeFail('grant');
    if (this.#gone) throw new FirewallError('firewall-failed', 'nft: Error: No such file or directory');
    this.#grants.put(checkGrant(g));
  }

  async list(): Promise<LiveGrant[]> {
    this.calls.push({ method: 'list' });
    this.#maybeFail('list');
    return this.#grants.list();
  }

  async revoke(address: string): Promise<number> {
    this.calls.push({ method: 'revoke', address });
    this.#maybeFail('revoke');
    return this.#grants.take(canonicalAddress(address).text).length;
  }

  async stop(mode: 'keep' | 'remove'): Promise<void> {
    this.calls.push({ method: 'stop', mode });
    this.#maybeFail('stop');
    this.state = mode;
    if (mode === 'remove') this.#grants.clear();
  }

  #maybeFail(method: FakeMethod): void {
    const err = this.#failures.get(method)?.shift();
    if (err) throw err;
  }
}
