/**
 * The default backend: its own `table inet spa` and nothing else.
 *
 *   table inet spa {
 *     set grants4 { type ipv4_addr . inet_proto . inet_service; flags timeout; }
 *     set grants6 { type ipv6_addr . inet_proto . inet_service; flags timeout; }
 *     set guarded { type inet_proto . inet_service; flags timeout; }   trial ports: timeout
 *     chain input {
 *       type filter hook input priority filter - 10; policy accept;
 *       ct state established,related accept
 *       iif lo accept
 *       ip saddr . meta l4proto . th dport @grants4 accept
 *       ip6 saddr . meta l4proto . th dport @grants6 accept
 *       ct state new tcp flags & (syn | ack) == ack accept   (flows older than conntrack)
 *       meta l4proto . th dport @guarded drop
 *     }
 *   }
 *
 * Priority -10 (`filter - 10`): after conntrack (-200, needed for `ct state`) and DNAT (-100,
 * so `th dport` is the port the host really serves), and before the usual `filter` chains
 * (0) of the host's own tables, so hidden ports are dropped before other rules spend work or
 * log on them. The order does not change the verdict: an accept here ends only this table's
 * chain and a drop in any other table still wins (docs/firewall.md).
 *
 * Grants expire in the kernel even if the daemon dies, and so does the guard of a trial port
 * (GuardedPort.trialSeconds); the other guarded ports have no timeout and stay. Mutations go to
 * one long-lived `nft -j -i` child (framing in line-session.ts): a fresh `nft` per grant would
 * cost an order of magnitude more (measured costs in docs/firewall.md).
 * `start()` is one atomic `nft -f -` batch.
 */
import {
  type CheckedGrant,
  canonicalAddress,
  canonicalOrAsIs,
  checkGrant,
  checkGuarded,
  checkInteger,
  checkName,
} from './check.js';
import {
  type Firewall,
  FirewallError,
  type Grant,
  type GuardedPort,
  type GuardState,
  type LiveGrant,
  type LogFn,
  type TrialSupport,
} from './firewall.js';
import { LineSession } from './line-session.js';
import { LiveTuples } from './live.js';
import {
  addCommand,
  getElementArgs,
  guardBatch,
  guardedSetIsLegacy,
  listGuardedCommand,
  listSetCommand,
  listTableCommand,
  nftMarker,
  parseGuardedJson,
  parseSetJson,
  refreshCommand,
  removeTableCommand,
  revokeCommand,
  tableIsIntact,
} from './nft-text.js';
import { type CommandTestSeams, commandFailed, defaultSpawn, runOnce, type SpawnFn } from './process.js';

/** Only tests set these (see CommandTestSeams); the daemon runs with the defaults. */
export interface NftablesTestSeams extends CommandTestSeams {
  /** Base chain priority, -199..299; default -10 (`filter - 10`). */
  priority?: number;
  /** Default 'nft'. */
  nftPath?: string;
}

export interface NftablesOptions {
  /** Table name in the inet family; default 'spa'. The table must belong to spa alone. */
  table?: string;
  testSeams?: NftablesTestSeams;
  spawn?: SpawnFn;
  log?: LogFn;
  /** Clock for the live-tuple bookkeeping; default Date.now. */
  now?: () => number;
}

/**
 * How long after its expiry a tuple still counts as maybe-live: the kernel's timeout starts
 * when nft commits, a little after our clock read, and a slow nft child stretches that.
 */
const EXPIRY_GRACE_MS = 5000;

export const DEFAULT_TABLE = 'spa';
export const DEFAULT_PRIORITY = -10;

export class NftablesFirewall implements Firewall {
  readonly name = 'nftables';
  static readonly trial: TrialSupport = 'kernel';
  readonly trial = NftablesFirewall.trial;
  readonly table: string;
  readonly priority: number;
  readonly #nft: string;
  readonly #prefix: string[];
  readonly #spawn: SpawnFn;
  readonly #timeoutMs: number;
  readonly #session: LineSession;
  readonly #now: () => number;
  /**
   * Tuples this process knows to be live in the kernel (loaded at start, then every grant and
   * revoke), with their expiry. A grant for a tuple not in here needs one `add element`; a
   * live one needs the three-command refresh, because re-adding keeps the old timeout.
   */
  readonly #live: LiveTuples;
  /** The guarded ports of the last start(), for intact() and heal(). */
  #guarded: GuardedPort[] = [];

  constructor(options: NftablesOptions = {}) {
    this.table = checkName(options.table ?? DEFAULT_TABLE, 'nftables table');
    const seams = options.testSeams ?? {};
    this.priority = checkInteger(seams.priority ?? DEFAULT_PRIORITY, -199, 299, 'nftables priority');
    this.#nft = seams.nftPath ?? 'nft';
    this.#prefix = seams.argvPrefix ?? [];
    this.#spawn = options.spawn ?? defaultSpawn;
    this.#timeoutMs = options.testSeams?.timeoutMs ?? 5000;
    this.#now = options.now ?? Date.now;
    this.#live = new LiveTuples(this.#now, EXPIRY_GRACE_MS);
    this.#session = new LineSession({
      label: 'nft',
      argv: [this.#nft, '-j', '-i'],
      prefix: this.#prefix,
      spawn: this.#spawn,
      // `nft -i` keeps a history in $HOME/.nft.history: it would record every granted
      // address. /dev/null/… can never be created, so nothing is written.
      env: { ...process.env, HOME: '/dev/null' },
      marker: nftMarker,
      timeoutMs: this.#timeoutMs,
      ...(options.log ? { log: options.log } : {}),
    });
  }

  async start(guarded: GuardedPort[]): Promise<void> {
    const ports = checkGuarded(guarded);
    this.#guarded = ports;
    const batch = guardBatch(this.table, this.priority, ports, await this.#legacyGuardedSet());
    const r = await runOnce(this.#spawn, [this.#nft, '-f', '-'], {
      prefix: this.#prefix,
      input: batch,
      timeoutMs: this.#timeoutMs,
    });
    if (r.code !== 0) throw commandFailed(`nft: creating table inet ${this.table}`, r.stderr, r.code);
    await this.#run(''); // start the long-lived child now, so the first grant is fast
    // Grants that outlived an earlier daemon (kept in the kernel) must be refreshed, not re-added.
    this.#live.load(await this.list());
  }

  /** True if the table exists with a guarded set made before trials (no `flags timeout`). */
  async #legacyGuardedSet(): Promise<boolean> {
    const r = await runOnce(this.#spawn, [this.#nft, '-j', 'list', 'set', 'inet', this.table, 'guarded'], {
      prefix: this.#prefix,
      timeoutMs: this.#timeoutMs,
    });
    if (r.code !== 0) return false; // no such table or set: the batch creates it
    try {
      return guardedSetIsLegacy(r.stdout);
    } catch {
      return false;
    }
  }

  /**
   * A tuple with no live element: `add element` (one command). A live one: add, delete, add
   * on one line, atomic, so the timeout restarts and no duplicate appears (see nft-text.ts).
   * An element this process does not know about (added by hand) keeps its old timeout.
   *
   * Grants only grow: if the tuple's live element has more time left than this grant asks
   * for, it is left alone. The kernel is asked first (one `nft get element`, only on this
   * path): an element removed behind this process's back (`spa-server revoke`, another tool)
   * is forgotten, and this grant then stands on its own instead of bringing the old time back.
   */
  async grant(g: Grant): Promise<void> {
    const checked = checkGrant(g);
    if (this.#live.secondsLeft(checked) > checked.seconds) {
      if (await this.#holds(checked)) return;
      this.#live.delete(checked);
    }
    const maybeLive = this.#live.maybeLive(checked);
    await this.#run(maybeLive ? refreshCommand(this.table, checked) : addCommand(this.table, checked));
    this.#live.note(checked);
  }

  async list(): Promise<LiveGrant[]> {
    return [...(await this.#list(4)), ...(await this.#list(6))];
  }

  /** Whether the kernel still has this tuple's element (a fresh `nft`: rare, and kept off the session's framing). */
  async #holds(g: CheckedGrant): Promise<boolean> {
    const r = await runOnce(this.#spawn, [this.#nft, ...getElementArgs(this.table, g)], {
      prefix: this.#prefix,
      timeoutMs: this.#timeoutMs,
    });
    return r.code === 0;
  }

  async intact(): Promise<boolean> {
    const r = await this.#session.request(listTableCommand(this.table), { expectLine: true });
    if (r.stderr) return false; // "No such file or directory": the table is gone
    const permanent = this.#guarded.filter((p) => p.trialSeconds === undefined);
    return tableIsIntact(r.stdout, permanent);
  }

  /**
   * start() (one atomic batch: table, sets, chain, guarded ports), then the grants this
   * process knows to be live and that the kernel lost, each with the time it has left.
   */
  async heal(guarded: GuardedPort[]): Promise<number> {
    const live = this.#live.live();
    await this.start(guarded); // reloads #live from what the kernel still has
    let restored = 0;
    for (const g of live) {
      if (this.#live.secondsLeft(g) > 0) continue; // the kernel kept it (only the chain was hit)
      await this.#run(addCommand(this.table, g));
      this.#live.note(g);
      restored++;
    }
    return restored;
  }

  async guard(): Promise<GuardState[]> {
    const r = await this.#session.request(listGuardedCommand(this.table), { expectLine: true });
    if (r.stderr) throw this.#failed(r.stderr);
    return parseGuardedJson(r.stdout);
  }

  async revoke(address: string): Promise<number> {
    const a = canonicalAddress(address);
    const mine = (await this.#list(a.family)).filter((g) => g.address === a.text);
    if (mine.length > 0) await this.#run(revokeCommand(this.table, a.family, mine));
    for (const g of mine) this.#live.delete(g);
    return mine.length;
  }

  async stop(mode: 'keep' | 'remove'): Promise<void> {
    if (mode === 'remove') await this.#run(removeTableCommand(this.table));
    await this.#session.close();
  }

  async #list(family: 4 | 6): Promise<LiveGrant[]> {
    const r = await this.#session.request(listSetCommand(this.table, family), { expectLine: true });
    if (r.stderr) throw this.#failed(r.stderr);
    return parseSetJson(r.stdout).map((g) => ({ ...g, address: canonicalOrAsIs(g.address) }));
  }

  async #run(command: string): Promise<void> {
    const r = await this.#session.request(command);
    if (r.stderr) throw this.#failed(r.stderr);
  }

  #failed(stderr: string): FirewallError {
    const e = commandFailed('nft', stderr);
    if (e.hint || !/No such file or directory/.test(stderr)) return e;
    return new FirewallError(
      e.code,
      e.message,
      `there is no table inet ${this.table} here: spa-server has not run on this host (or in this network namespace), or its table was removed; start it with spa-server run`,
    );
  }
}
