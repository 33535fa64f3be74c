/**
 * Creating network namespaces for tests: one place that runs `ip netns add`. A set of namespaces
 * gets one run id (names `spal-<runId>-<host>`), loopback up in each, and is registered so that it
 * is deleted on exit or SIGINT/SIGTERM/SIGHUP; leftovers of dead runs are deleted first.
 */
import { type SpawnSyncOptions, type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { cleanLeftovers, cleanLeftoversSync, register, unregister } from './cleanup.js';
import { destroyNamespaces, destroyNamespacesSync, IP_BIN, ipBatch, ipBatchSync } from './ip.js';
import { HOST_NAME_RE, newRunId, nsName } from './names.js';

export interface NamespaceOptions {
  /** Run id for the names (default: a fresh one for this process). */
  runId?: string;
  /** Delete namespaces left by dead earlier runs first (default true). */
  cleanLeftovers?: boolean;
  /** Pids of the owner's processes in the namespaces, SIGKILLed by the exit/signal cleanup. */
  pids?: () => number[];
}

export interface Namespaces {
  readonly runId: string;
  /** Namespace name per host name. */
  readonly ns: Readonly<Record<string, string>>;
  /** Every namespace of the set, in the order the hosts were given. */
  readonly namespaces: readonly string[];
  /** Kills every process left inside, deletes the namespaces. Idempotent. */
  destroy(): Promise<void>;
  destroySync(): void;
}

class NamespaceSet implements Namespaces {
  readonly runId: string;
  readonly ns: Record<string, string> = {};
  readonly namespaces: string[];
  private gone = false;

  constructor(
    hosts: readonly string[],
    opts: NamespaceOptions,
    readonly pids: () => number[] = () => [],
  ) {
    this.runId = opts.runId ?? newRunId();
    for (const h of hosts) {
      if (!HOST_NAME_RE.test(h) || this.ns[h]) throw new RangeError(`bad or duplicate host name ${h}`);
      this.ns[h] = nsName(this.runId, h);
    }
    this.namespaces = hosts.map((h) => this.ns[h]!);
  }

  /** `ip -batch` lines creating the namespaces (the only `ip netns add` of the project). */
  addLines(): string[] {
    return this.namespaces.map((ns) => `netns add ${ns}`);
  }

  async destroy(): Promise<void> {
    if (this.gone) return;
    this.gone = true;
    await destroyNamespaces(this.namespaces);
    unregister(this);
  }

  destroySync(): void {
    if (this.gone) return;
    this.gone = true;
    destroyNamespacesSync(this.namespaces);
    unregister(this);
  }
}

/** Creates one namespace per host name, loopback up. On failure nothing is left behind. */
export async function createNamespaces(
  hosts: readonly string[],
  opts: NamespaceOptions = {},
): Promise<Namespaces> {
  if (opts.cleanLeftovers !== false) await cleanLeftovers();
  const set = new NamespaceSet(hosts, opts, opts.pids);
  register(set);
  try {
    await ipBatch(undefined, set.addLines());
    await Promise.all(set.namespaces.map((ns) => ipBatch(ns, ['link set lo up'])));
  } catch (err) {
    await set.destroy();
    throw err;
  }
  return set;
}

/** `createNamespaces` for synchronous callers (probes, `before` hooks that cannot await). */
export function createNamespacesSync(hosts: readonly string[], opts: NamespaceOptions = {}): Namespaces {
  if (opts.cleanLeftovers !== false) cleanLeftoversSync();
  const set = new NamespaceSet(hosts, opts, opts.pids);
  register(set);
  try {
    ipBatchSync(undefined, set.addLines());
    for (const ns of set.namespaces) ipBatchSync(ns, ['link set lo up']);
  } catch (err) {
    set.destroySync();
    throw err;
  }
  return set;
}

/** One end of a veth pair: its namespace, interface name, and addresses with prefix length. */
export interface VethEnd {
  ns: string;
  ifname: string;
  /** e.g. `192.0.2.1/24`, `2001:db8::1/64` (IPv6 added with `nodad`, usable at once). */
  addrs?: readonly string[];
}

const endLines = (e: VethEnd) => [
  ...(e.addrs ?? []).map((x) => `addr add ${x} dev ${e.ifname}${x.includes(':') ? ' nodad' : ''}`),
  `link set ${e.ifname} up`,
];

/** `ip -n NS -batch` runs: the pair is made in a's namespace, then each end is addressed and up. */
function vethBatches(a: VethEnd, b: VethEnd): [string, string[]][] {
  const peerNs = a.ns === b.ns ? '' : ` netns ${b.ns}`;
  const add = `link add ${a.ifname} type veth peer name ${b.ifname}${peerNs}`;
  if (a.ns === b.ns) return [[a.ns, [add, ...endLines(a), ...endLines(b)]]];
  return [
    [a.ns, [add, ...endLines(a)]],
    [b.ns, endLines(b)],
  ];
}

/** Joins two namespaces (or two interfaces of one) by a veth pair, addressed and up. */
export async function addVeth(a: VethEnd, b: VethEnd): Promise<void> {
  for (const [ns, lines] of vethBatches(a, b)) await ipBatch(ns, lines);
}

export function addVethSync(a: VethEnd, b: VethEnd): void {
  for (const [ns, lines] of vethBatches(a, b)) ipBatchSync(ns, lines);
}

/** The argv that runs `argv` inside namespace `ns` (no shell): hand it to spawn, or as a prefix. */
export function inNamespace(ns: string, argv: readonly string[] = []): [string, ...string[]] {
  return [IP_BIN, 'netns', 'exec', ns, ...argv];
}

/** Runs `argv` inside `ns` and waits for it (spawnSync semantics, utf8 output). */
export function execInSync(
  ns: string,
  argv: readonly string[],
  opts: Omit<SpawnSyncOptions, 'encoding'> = {},
): SpawnSyncReturns<string> {
  const [bin, ...args] = inNamespace(ns, argv);
  return spawnSync(bin, args, { ...opts, encoding: 'utf8' });
}
