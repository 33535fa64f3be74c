/**
 * The namespace lab: hosts `server`, `client`, `attacker` (and optional extras), each in its own
 * network namespace, joined by a Linux bridge that lives in a fifth namespace of its own. Nothing is
 * created in the root namespace and no host has a default route, so no packet can leave the lab.
 *
 *   [server ns] spal-<id> 192.0.2.1 2001:db8::1 ──veth── p-server ┐
 *   [client ns] spal-<id> 192.0.2.2 2001:db8::2 ──veth── p-client ├─ br0  [bridge ns]
 *   [attacker ns]         192.0.2.3 2001:db8::3 ──veth── p-attacker┘
 */

import { cleanLeftovers, createNamespaces, ipBatch, type Namespaces } from '@spa/netns';
import { AGENT_SCRIPT, Agent } from './agent-client.js';
import { LabError } from './errors.js';
import {
  BRIDGE_HOST,
  BRIDGE_IFNAME,
  bridgePortName,
  HOST_NAME_RE,
  hostAddresses,
  hostIfname,
  IPV4_PREFIX_LEN,
  IPV6_PREFIX_LEN,
  newRunId,
  nsName,
} from './names.js';
import {
  type ExecOptions,
  type ExecResult,
  LabProcess,
  runInNamespace,
  type SpawnOptions,
} from './process.js';

export interface LabHost {
  /** Host name in the lab: `server`, `client`, `attacker`, or an extra host's name. */
  name: string;
  /** Network namespace name, for `ip netns exec`. */
  ns: string;
  ipv4: string;
  ipv6: string;
  /** The host's one interface (its veth end) inside its namespace. */
  ifname: string;
}

export type LabHosts = { server: LabHost; client: LabHost; attacker: LabHost } & Record<string, LabHost>;
export type HostRef = string | LabHost;

export interface LabOptions {
  /** More hosts on the same bridge, addressed from .4 / ::4 on, e.g. `['client2']`. */
  extraHosts?: string[];
  /** Delete namespaces left by dead earlier runs first (default true). */
  cleanLeftovers?: boolean;
}

export interface Lab {
  readonly runId: string;
  readonly hosts: LabHosts;
  /** The namespace holding only the bridge. */
  readonly bridgeNs: string;
  /** Every namespace of this lab (bridge first). */
  readonly namespaces: readonly string[];
  /** Milliseconds spent building the lab (after leftover cleanup). */
  readonly upMs: number;
  host(ref: HostRef): LabHost;
  /** Runs `ip netns exec NS ...argv` (no shell), bounded by `timeoutMs` (default 10 s). */
  exec(host: HostRef, argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Starts a long-lived process in the host's namespace; killed on teardown. */
  spawn(host: HostRef, argv: readonly string[], opts?: SpawnOptions): LabProcess;
  /** The host's agent (started on first use, then shared). */
  agent(host: HostRef): Promise<Agent>;
  /** Kills every tracked process and deletes every namespace. Idempotent. */
  teardown(): Promise<void>;
}

const CORE_HOSTS = ['server', 'client', 'attacker'] as const;

class NetnsLab implements Lab {
  readonly runId: string;
  readonly hosts: LabHosts;
  readonly bridgeNs: string;
  readonly namespaces: readonly string[];
  upMs = 0;
  private readonly procs = new Set<LabProcess>();
  private readonly agents = new Map<string, Promise<Agent>>();
  private tornDown: Promise<void> | undefined;
  private created: Namespaces | undefined;

  constructor(runId: string, hostNames: readonly string[]) {
    this.runId = runId;
    const hosts: Record<string, LabHost> = {};
    hostNames.forEach((name, i) => {
      hosts[name] = { name, ns: nsName(runId, name), ifname: hostIfname(runId), ...hostAddresses(i + 1) };
    });
    this.hosts = hosts as LabHosts;
    this.bridgeNs = nsName(runId, BRIDGE_HOST);
    this.namespaces = [this.bridgeNs, ...Object.values(hosts).map((h) => h.ns)];
  }

  async build(): Promise<void> {
    const hosts = Object.values(this.hosts);
    this.created = await createNamespaces([BRIDGE_HOST, ...hosts.map((h) => h.name)], {
      runId: this.runId,
      cleanLeftovers: false,
      pids: () => this.pids(),
    });
    await ipBatch(this.bridgeNs, [
      `link add ${BRIDGE_IFNAME} type bridge mcast_snooping 0`,
      `link set ${BRIDGE_IFNAME} up`,
      ...hosts.flatMap((h) => [
        `link add ${bridgePortName(h.name)} type veth peer name ${h.ifname} netns ${h.ns}`,
        `link set ${bridgePortName(h.name)} master ${BRIDGE_IFNAME} up`,
      ]),
    ]);
    await Promise.all(
      hosts.map((h) =>
        ipBatch(h.ns, [
          `addr add ${h.ipv4}/${IPV4_PREFIX_LEN} dev ${h.ifname}`,
          `addr add ${h.ipv6}/${IPV6_PREFIX_LEN} dev ${h.ifname} nodad`,
          `link set ${h.ifname} up`,
        ]),
      ),
    );
  }

  pids(): number[] {
    return [...this.procs].flatMap((p) => (p.running && p.pid !== undefined ? [p.pid] : []));
  }

  host(ref: HostRef): LabHost {
    const name = typeof ref === 'string' ? ref : ref.name;
    const h = this.hosts[name];
    if (!h || (typeof ref !== 'string' && ref.ns !== h.ns)) {
      throw new LabError(
        'bad-host',
        `no host ${JSON.stringify(name)} in lab ${this.runId}`,
        Object.keys(this.hosts).join(', '),
      );
    }
    return h;
  }

  exec(host: HostRef, argv: readonly string[], opts?: ExecOptions): Promise<ExecResult> {
    this.assertUp();
    return runInNamespace(this.host(host).ns, argv, opts);
  }

  spawn(host: HostRef, argv: readonly string[], opts?: SpawnOptions): LabProcess {
    this.assertUp();
    const p = new LabProcess(this.host(host).ns, argv, opts);
    this.procs.add(p);
    void p.exited.then(() => this.procs.delete(p));
    return p;
  }

  agent(host: HostRef): Promise<Agent> {
    const h = this.host(host);
    const cached = this.agents.get(h.name);
    if (cached) return cached;
    const started = Agent.attach(h.name, this.spawn(h, [process.execPath, AGENT_SCRIPT]));
    this.agents.set(h.name, started);
    started.catch(() => this.agents.delete(h.name));
    void started.then((a) => a.exited.then(() => this.agents.delete(h.name)));
    return started;
  }

  teardown(): Promise<void> {
    this.tornDown ??= this.doTeardown();
    return this.tornDown;
  }

  private async doTeardown(): Promise<void> {
    const procs = [...this.procs];
    await Promise.all(
      procs.map((p) => {
        p.endInput(); // agents exit on EOF
        return p.kill('SIGTERM', 500);
      }),
    );
    await this.created?.destroy();
  }

  private assertUp(): void {
    if (this.tornDown) throw new LabError('torn-down', `lab ${this.runId} has been torn down`);
  }
}

function checkHostNames(names: readonly string[]): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (!HOST_NAME_RE.test(n) || n === BRIDGE_HOST || seen.has(n)) {
      throw new LabError(
        'bad-host',
        `bad or duplicate host name ${JSON.stringify(n)}`,
        `match ${HOST_NAME_RE}`,
      );
    }
    seen.add(n);
  }
}

/** Builds a fresh lab. On any failure, whatever was created is deleted before the error is thrown. */
export async function startLab(opts: LabOptions = {}): Promise<Lab> {
  const names = [...CORE_HOSTS, ...(opts.extraHosts ?? [])];
  checkHostNames(names);
  if (opts.cleanLeftovers !== false) await cleanLeftovers();
  const started = performance.now();
  const lab = new NetnsLab(newRunId(), names);
  try {
    await lab.build();
  } catch (err) {
    await lab.teardown();
    throw err;
  }
  lab.upMs = performance.now() - started;
  return lab;
}
