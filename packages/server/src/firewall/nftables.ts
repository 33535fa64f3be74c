/**
 * The default backend: its own `table inet spa` and nothing else.
 *
 *   table inet spa {
 *     set grants4 { type ipv4_addr . inet_proto . inet_service; flags timeout; }
 *     set grants6 { type ipv6_addr . inet_proto . inet_service; flags timeout; }
 *     set guarded { type inet_proto . inet_service; }
 *     chain input {
 *       type filter hook input priority filter - 10; policy accept;
 *       ct state established,related accept
 *       iif lo accept
 *       ip saddr . meta l4proto . th dport @grants4 accept
 *       ip6 saddr . meta l4proto . th dport @grants6 accept
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
 * Grants expire in the kernel even if the daemon dies. Mutations go to one long-lived
 * `nft -j -i` child (framing in _line-session.ts). Measured cost of one grant, 200 grants in a
 * loop after warm-up, namespace test on this 2-core VM: 0.6-0.7 ms (up to ~1 ms when the VM is
 * saturated), of which ~0.2 ms is the bare pipe round trip between two processes and ~0.35 ms is nft
 * parsing and committing the three-command refresh; a fresh `nft` per grant costs 8-20 ms.
 * `start()` is one atomic `nft -f -` batch.
 */
import {
  canonicalAddress,
  canonicalOrAsIs,
  checkGrant,
  checkGuarded,
  checkInteger,
  checkName,
} from './_check.js';
import { LineSession } from './_line-session.js';
import {
  guardBatch,
  listSetCommand,
  nftMarker,
  parseSetJson,
  refreshCommand,
  removeTableCommand,
  revokeCommand,
} from './_nft-text.js';
import { commandFailed, defaultSpawn, runOnce, type SpawnFn } from './_process.js';
import {
  type Firewall,
  FirewallError,
  type Grant,
  type GuardedPort,
  type LiveGrant,
  type LogFn,
} from './firewall.js';

export interface NftablesOptions {
  /** Table name in the inet family; default 'spa'. The table must belong to spa alone. */
  table?: string;
  /** Base chain priority, -199..299; default -10 (`filter - 10`). */
  priority?: number;
  /** Default 'nft'. */
  nftPath?: string;
  /** Run every command under this prefix, e.g. ['ip', 'netns', 'exec', 'NS'] in tests. */
  argvPrefix?: string[];
  spawn?: SpawnFn;
  log?: LogFn;
  /** Per-command answer timeout; default 5000 ms. */
  timeoutMs?: number;
}

export const DEFAULT_TABLE = 'spa';
export const DEFAULT_PRIORITY = -10;

export class NftablesFirewall implements Firewall {
  readonly name = 'nftables';
  readonly table: string;
  readonly priority: number;
  readonly #nft: string;
  readonly #prefix: string[];
  readonly #spawn: SpawnFn;
  readonly #timeoutMs: number;
  readonly #session: LineSession;

  constructor(options: NftablesOptions = {}) {
    this.table = checkName(options.table ?? DEFAULT_TABLE, 'nftables table');
    this.priority = checkInteger(options.priority ?? DEFAULT_PRIORITY, -199, 299, 'nftables priority');
    this.#nft = options.nftPath ?? 'nft';
    this.#prefix = options.argvPrefix ?? [];
    this.#spawn = options.spawn ?? defaultSpawn;
    this.#timeoutMs = options.timeoutMs ?? 5000;
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
    const batch = guardBatch(this.table, this.priority, checkGuarded(guarded));
    const r = await runOnce(this.#spawn, [this.#nft, '-f', '-'], {
      prefix: this.#prefix,
      input: batch,
      timeoutMs: this.#timeoutMs,
    });
    if (r.code !== 0) throw commandFailed(`nft: creating table inet ${this.table}`, r.stderr, r.code);
    await this.#run(''); // start the long-lived child now, so the first grant is fast
  }

  /** Always the three-command refresh: it never fails on a present or missing element (see _nft-text.ts). */
  async grant(g: Grant): Promise<void> {
    await this.#run(refreshCommand(this.table, checkGrant(g)));
  }

  async list(): Promise<LiveGrant[]> {
    return [...(await this.#list(4)), ...(await this.#list(6))];
  }

  async revoke(address: string): Promise<number> {
    const a = canonicalAddress(address);
    const mine = (await this.#list(a.family)).filter((g) => g.address === a.text);
    if (mine.length > 0) await this.#run(revokeCommand(this.table, a.family, mine));
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
