/**
 * spa inside the namespace lab: a real `spa-server run` (libpcap + nftables) on the server
 * host, real `spa-client` processes on the client hosts, guarded TCP services on the server.
 * Shared by the demo, the end-to-end tests and the benchmarks.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ExecResult,
  type HostRef,
  type Lab,
  type LabProcess,
  type Services,
  startLab,
  startServices,
} from '../lab/index.js';
import { setTomlKey } from './toml-edit.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const SERVER_BIN = join(root, 'packages/server/bin/spa-server.js');
export const CLIENT_BIN = join(root, 'packages/client/bin/spa-client.js');
/** The server's name inside the lab; resolves to its IPv4 and IPv6 address on every host. */
export const SERVER_HOSTNAME = 'web1.lab';
const NETNS_ETC = '/etc/netns';

export interface SpaLabOptions {
  /** Guarded services, name → "PORT/tcp". Default { ssh: '22/tcp', web: '80/tcp' }. */
  services?: Record<string, string>;
  /** Extra lab hosts (e.g. ['client2']). */
  extraHosts?: string[];
  /** Config edits applied after `init`: [section, key, TOML literal]. */
  config?: Array<[string, string, string]>;
  /** Clients to add (name → services). Default { alice: ['ssh', 'web'] } imported on host `client`. */
  clients?: Record<string, { services: string[]; host?: string; expires?: string }>;
  /** Start the daemon right away (default true). */
  start?: boolean;
}

export interface ServerLog {
  level: number;
  msg: string;
  [k: string]: unknown;
}

export class SpaLab {
  readonly lab: Lab;
  readonly dir: string;
  readonly configPath: string;
  readonly stateDir: string;
  readonly uris = new Map<string, string>();
  services!: Services;
  server: LabProcess | undefined;

  constructor(lab: Lab, dir: string) {
    this.lab = lab;
    this.dir = dir;
    this.configPath = join(dir, 'server.toml');
    this.stateDir = join(dir, 'state');
  }

  /** `spa-server ARGS --config …`, run on the server host. */
  serverCli(args: string[], timeoutMs = 15_000): Promise<ExecResult> {
    return this.lab.exec('server', ['node', SERVER_BIN, ...args, '--config', this.configPath], { timeoutMs });
  }

  clientConfig(host: HostRef): string {
    return join(this.dir, `client-${this.lab.host(host).name}.toml`);
  }

  /**
   * `spa-client --config … ARGS` on a client host. Each host keeps its client state (the
   * one-time sequences it sent) in the lab's folder, as a laptop keeps it in its own home: not
   * in the home of whoever runs the tests, and not shared between hosts.
   */
  clientCli(host: HostRef, args: string[], timeoutMs = 20_000): Promise<ExecResult> {
    const state = join(this.dir, `client-state-${this.lab.host(host).name}`);
    return this.lab.exec(
      host,
      ['env', `XDG_STATE_HOME=${state}`, 'node', CLIENT_BIN, '--config', this.clientConfig(host), ...args],
      { timeoutMs },
    );
  }

  editConfig(section: string, key: string, literal: string): void {
    const text = readFileSync(this.configPath, 'utf8');
    writeFileSync(this.configPath, setTomlKey(text, section, key, literal), { mode: 0o600 });
  }

  async addClient(
    name: string,
    services: string[],
    host: HostRef = 'client',
    expires?: string,
  ): Promise<string> {
    const args = ['add-client', name, '--services', services.join(',')];
    if (expires) args.push('--expires', expires);
    const r = await this.serverCli(args);
    if (r.code !== 0) throw new Error(`add-client ${name} failed: ${r.stderr}`);
    const uri = r.stdout.trim();
    this.uris.set(name, uri);
    const imp = await this.clientCli(host, ['import', uri, '--name', 'web1']);
    if (imp.code !== 0) throw new Error(`import on ${this.lab.host(host).name} failed: ${imp.stderr}`);
    return uri;
  }

  /**
   * Start `spa-server run [ARGS]` (e.g. ['--trial', '5s']) and wait for its `listening` line.
   * `node`: arguments for node itself (e.g. a preloaded clock shim) and the environment.
   */
  async startServer(
    timeoutMs = 15_000,
    args: string[] = [],
    node: { args?: string[]; env?: NodeJS.ProcessEnv } = {},
  ): Promise<LabProcess> {
    const proc = this.lab.spawn(
      'server',
      ['node', ...(node.args ?? []), SERVER_BIN, 'run', ...args, '--config', this.configPath],
      node.env ? { env: node.env } : {},
    );
    this.server = proc;
    await proc.waitForLine(/"msg":"listening"/, timeoutMs);
    return proc;
  }

  async stopServer(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.server;
    this.server = undefined;
    if (p) await p.kill(signal, 5000);
  }

  /** Parsed JSON log lines of the current daemon. */
  logs(): ServerLog[] {
    const out: ServerLog[] = [];
    for (const line of this.server?.stdout ?? []) {
      try {
        out.push(JSON.parse(line) as ServerLog);
      } catch {
        // not a JSON line
      }
    }
    return out;
  }

  /** Wait until a log line matches (lines already seen count). */
  async waitForLog(match: (l: ServerLog) => boolean, timeoutMs = 5000): Promise<ServerLog> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const hit = this.logs().find(match);
      if (hit) return hit;
      await sleep(20);
    }
    throw new Error(
      `no matching server log line within ${timeoutMs} ms; last lines:\n${this.server?.stdout.slice(-10).join('\n')}`,
    );
  }

  /** The daemon's counters, from the line it logs on SIGUSR1. */
  async counters(): Promise<Record<string, number>> {
    const before = this.logs().length;
    const pid = this.server?.pid;
    if (!pid) throw new Error('server not running');
    process.kill(pid, 'SIGUSR1');
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      const line = this.logs()
        .slice(before)
        .find((l) => l.msg === 'counters');
      if (line) return (line.counters ?? {}) as Record<string, number>;
      await sleep(20);
    }
    throw new Error('the daemon did not log its counters within 3 s of SIGUSR1');
  }

  /** The nftables grant set elements, as `nft -j` prints them. */
  async nftGrants(): Promise<Array<{ address: string; proto: string; port: number; expires?: number }>> {
    const out: Array<{ address: string; proto: string; port: number; expires?: number }> = [];
    for (const set of ['grants4', 'grants6']) {
      const r = await this.lab.exec('server', ['nft', '-j', 'list', 'set', 'inet', 'spa', set]);
      if (r.code !== 0) continue;
      const json = JSON.parse(r.stdout) as { nftables: Array<{ set?: { elem?: unknown[] } }> };
      for (const item of json.nftables) {
        for (const e of item.set?.elem ?? []) {
          const el = (e as { elem?: { val: { concat: unknown[] }; expires?: number } }).elem;
          const concat = el?.val.concat ?? (e as { concat?: unknown[] }).concat;
          if (!concat) continue;
          const [address, proto, port] = concat as [string, string, number];
          out.push({ address, proto, port, ...(el?.expires !== undefined ? { expires: el.expires } : {}) });
        }
      }
    }
    return out;
  }

  /** The elements of the guard's `guarded` set as nft prints them ("tcp . 22 timeout 13s expires 12s…"). */
  async nftGuarded(): Promise<string> {
    const r = await this.lab.exec('server', ['nft', 'list', 'set', 'inet', 'spa', 'guarded']);
    if (r.code !== 0) return '';
    const m = /elements = \{([^}]*)\}/.exec(r.stdout);
    return (m?.[1] ?? '').replace(/\s+/g, ' ').trim();
  }

  async teardown(): Promise<void> {
    await this.lab.teardown();
    for (const ns of this.lab.namespaces) rmSync(join(NETNS_ETC, ns), { recursive: true, force: true });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * `ip netns exec NS` bind-mounts /etc/netns/NS/hosts over /etc/hosts: each lab host gets a
 * hosts file naming the server, so profiles can carry a host name with A and AAAA records.
 */
function writeHostsFiles(lab: Lab): void {
  const s = lab.hosts.server;
  for (const ns of lab.namespaces) {
    mkdirSync(join(NETNS_ETC, ns), { recursive: true });
    writeFileSync(
      join(NETNS_ETC, ns, 'hosts'),
      `127.0.0.1 localhost\n::1 localhost\n${s.ipv4} ${SERVER_HOSTNAME}\n${s.ipv6} ${SERVER_HOSTNAME}\n`,
    );
  }
}

/** Remove /etc/netns entries whose namespace no longer exists (a crashed earlier run). */
function cleanStaleNetnsEtc(): void {
  if (!existsSync(NETNS_ETC)) return;
  for (const name of readdirSync(NETNS_ETC)) {
    if (name.startsWith('spal-') && !existsSync(join('/run/netns', name))) {
      rmSync(join(NETNS_ETC, name), { recursive: true, force: true });
    }
  }
}

function servicePorts(services: Record<string, string>): number[] {
  return Object.values(services).map((s) => Number(s.split('/')[0]));
}

/** Build a lab, configure spa-server on its server host, add clients, start the daemon. */
export async function startSpaLab(opts: SpaLabOptions = {}): Promise<SpaLab> {
  const services = opts.services ?? { ssh: '22/tcp', web: '80/tcp' };
  const lab = await startLab(opts.extraHosts ? { extraHosts: opts.extraHosts } : {});
  cleanStaleNetnsEtc();
  const dir = mkdtempSync(join(tmpdir(), `spa-lab-${lab.runId}-`));
  const spa = new SpaLab(lab, dir);
  try {
    writeHostsFiles(lab);
    mkdirSync(spa.stateDir, { mode: 0o700 });
    const server = lab.hosts.server;
    const init = await spa.serverCli([
      'init',
      '--interface',
      server.ifname,
      '--name',
      'web1',
      '--host',
      SERVER_HOSTNAME,
      ...Object.entries(services).flatMap(([n, s]) => ['--service', `${n}=${s}`]),
    ]);
    if (init.code !== 0) throw new Error(`spa-server init failed: ${init.stderr}`);
    spa.editConfig('server', 'state_dir', JSON.stringify(spa.stateDir));
    spa.editConfig('server', 'log_level', '"debug"');
    for (const [section, key, literal] of opts.config ?? []) spa.editConfig(section, key, literal);
    const clients = opts.clients ?? { alice: { services: Object.keys(services) } };
    for (const [name, c] of Object.entries(clients))
      await spa.addClient(name, c.services, c.host ?? 'client', c.expires);
    spa.services = await startServices(lab, servicePorts(services));
    if (opts.start !== false) await spa.startServer();
    return spa;
  } catch (err) {
    await spa.teardown();
    throw err;
  }
}
