/**
 * Network-namespace lab for the real firewall tests (root only): two namespaces joined by
 * a veth pair, an echo server in one, a prober in the other, both long-lived node processes
 * speaking JSON lines (so a probe costs no `ip netns exec`).
 *
 *   server ns  spal-<runId>-server   192.0.2.1/24  2001:db8::1/64
 *   client ns  spal-<runId>-client   192.0.2.2, 192.0.2.3  2001:db8::2, 2001:db8::3
 *
 * The namespaces come from @spa/netns (deleted on exit and signals, leftovers of dead runs swept).
 * The firewall under test runs in the server namespace through `argvPrefix`.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after } from 'node:test';
import { addVeth, createNamespaces, inNamespace, type Namespaces } from '@spa/netns';
import type { Firewall } from '../../src/firewall/firewall.js';

export const SERVER4 = '192.0.2.1';
export const CLIENT4 = '192.0.2.2';
export const OTHER4 = '192.0.2.3';
export const SERVER6 = '2001:db8::1';
export const CLIENT6 = '2001:db8::2';
export const OTHER6 = '2001:db8::3';
/** Guarded by the tests. */
export const TCP_PORT = 2222;
export const TCP_PORT2 = 2223;
export const UDP_PORT = 5353;
/** Never guarded: shows the rest of the host is unaffected. */
export const OPEN_PORT = 8080;
/** A dropped SYN is never answered: this long without an answer means "blocked". */
export const PROBE_TIMEOUT_MS = 1000;

/** Why the lab cannot run here, or undefined when it can. */
export function labUnavailable(tools: string[]): string | undefined {
  if (process.platform !== 'linux') return 'the firewall lab needs Linux';
  if (process.getuid?.() !== 0) return 'the firewall lab needs root (network namespaces, nft, ipset)';
  const path = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':');
  for (const tool of ['ip', ...tools]) {
    const found = path.some((dir) => {
      try {
        accessSync(join(dir, tool), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
    if (!found) return `${tool} is not installed (not on PATH)`;
  }
  return undefined;
}

const SERVER_JS = `
const net = require('net'), dgram = require('dgram');
const ports = JSON.parse(process.argv[1]);
let pending = ports.tcp.length + ports.udp.length;
const ready = () => { if (--pending === 0) process.stdout.write('ready\\n'); };
for (const p of ports.tcp) net.createServer((s) => { s.on('error', () => {}); s.pipe(s); })
  .listen({ port: p, host: '::', ipv6Only: false }, ready);
for (const p of ports.udp) {
  const u = dgram.createSocket({ type: 'udp6', ipv6Only: false });
  u.on('message', (m, r) => u.send(m, r.port, r.address));
  u.bind(p, '::', ready);
}
process.stdin.on('end', () => process.exit(0)).resume();
`;

const PROBER_JS = `
const net = require('net'), dgram = require('dgram');
const conns = new Map(); let next = 1;
require('readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const q = JSON.parse(line);
  let answered = false;
  const done = (ok, extra) => { if (answered) return; answered = true; clearTimeout(timer);
    process.stdout.write(JSON.stringify({ id: q.id, ok, ...extra }) + '\\n'); };
  const timer = setTimeout(() => { cleanup(); done(false, { error: 'timeout' }); }, q.timeoutMs);
  let cleanup = () => {};
  if (q.op === 'connect' || q.op === 'open') {
    const s = net.connect({ host: q.host, port: q.port, localAddress: q.from });
    cleanup = () => s.destroy();
    s.on('error', (e) => done(false, { error: e.code }));
    s.on('connect', () => {
      if (q.op === 'open') { conns.set(next, s); done(true, { conn: next++ }); } else { s.destroy(); done(true); }
    });
  } else if (q.op === 'echo') {
    const s = conns.get(q.conn);
    if (!s) return done(false, { error: 'no such connection' });
    s.once('data', (d) => done(String(d) === q.data));
    s.write(q.data);
  } else if (q.op === 'close') {
    conns.get(q.conn)?.destroy(); conns.delete(q.conn); done(true);
  } else if (q.op === 'udp') {
    const u = dgram.createSocket(q.host.includes(':') ? 'udp6' : 'udp4');
    cleanup = () => u.close();
    u.on('error', (e) => { cleanup(); done(false, { error: e.code }); });
    u.on('message', (m) => { cleanup(); done(String(m) === 'ping'); });
    u.bind(0, q.from, () => u.send('ping', q.port, q.host));
  }
});
process.stdin.on('end', () => process.exit(0));
`;

interface ProbeReply {
  ok: boolean;
  error?: string;
  conn?: number;
}

export class Lab {
  readonly server: string;
  readonly client: string;
  readonly #children: ChildProcess[] = [];
  #prober: ChildProcess | undefined;
  readonly #waiting = new Map<number, (r: ProbeReply) => void>();
  #nextId = 1;

  private constructor(readonly netns: Namespaces) {
    this.server = netns.ns.server!;
    this.client = netns.ns.client!;
  }

  /** Namespaces, veth, addresses, echo server and prober; torn down by close(). */
  static async create(): Promise<Lab> {
    const lab = new Lab(await createNamespaces(['server', 'client']));
    try {
      await addVeth(
        { ns: lab.server, ifname: 'vfw-s', addrs: [`${SERVER4}/24`, `${SERVER6}/64`] },
        {
          ns: lab.client,
          ifname: 'vfw-c',
          addrs: [`${CLIENT4}/24`, `${OTHER4}/24`, `${CLIENT6}/64`, `${OTHER6}/64`],
        },
      );
      await lab.#startServer();
      lab.#startProber();
      return lab;
    } catch (err) {
      await lab.close();
      throw err;
    }
  }

  /** `ip netns exec <server>`: hand this to the backend as argvPrefix. */
  get prefix(): string[] {
    return inNamespace(this.server);
  }

  /** Runs a command in the server namespace and returns its stdout. */
  exec(argv: string[], input?: string): string {
    const [ip, ...args] = inNamespace(this.server, argv);
    return execFileSync(ip, args, {
      encoding: 'utf8',
      input: input ?? '',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }

  /** Can a process inside the server namespace connect to 127.0.0.1:port? */
  localTcp(port: number): boolean {
    const js =
      `const s = require('net').connect(${port}, '127.0.0.1');` +
      `s.on('connect', () => process.exit(0)); s.on('error', () => process.exit(1));` +
      `setTimeout(() => process.exit(2), ${PROBE_TIMEOUT_MS});`;
    try {
      this.exec([process.execPath, '-e', js]);
      return true;
    } catch {
      return false;
    }
  }

  async #startServer(): Promise<void> {
    const ports = JSON.stringify({ tcp: [TCP_PORT, TCP_PORT2, OPEN_PORT], udp: [UDP_PORT] });
    const [ip, ...args] = inNamespace(this.server, [process.execPath, '-e', SERVER_JS, ports]);
    const child = spawn(ip, args, {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.#children.push(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('lab echo server: not ready in 5 s')), 5000);
      child.stdout!.once('data', () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`lab echo server exited (${code})`));
      });
    });
  }

  #startProber(): void {
    const [ip, ...args] = inNamespace(this.client, [process.execPath, '-e', PROBER_JS]);
    const child = spawn(ip, args, {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.#children.push(child);
    this.#prober = child;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const r = JSON.parse(line) as ProbeReply & { id: number };
      this.#waiting.get(r.id)?.(r);
      this.#waiting.delete(r.id);
    });
  }

  #probe(q: Record<string, unknown>, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeReply> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const guard = setTimeout(
        () => reject(new Error(`lab prober: no reply to ${JSON.stringify(q)}`)),
        timeoutMs + 4000,
      );
      this.#waiting.set(id, (r) => {
        clearTimeout(guard);
        resolve(r);
      });
      this.#prober!.stdin!.write(`${JSON.stringify({ ...q, id, timeoutMs })}\n`);
    });
  }

  /** Can `from` open a TCP connection to host:port? (false = no answer in PROBE_TIMEOUT_MS, or refused) */
  async tcp(from: string, host: string, port: number): Promise<boolean> {
    return (await this.#probe({ op: 'connect', from, host, port })).ok;
  }

  /** Does a UDP datagram from `from` come back from host:port? */
  async udp(from: string, host: string, port: number): Promise<boolean> {
    return (await this.#probe({ op: 'udp', from, host, port })).ok;
  }

  /** Opens a TCP connection and keeps it; returns its id. */
  async open(from: string, host: string, port: number): Promise<number> {
    const r = await this.#probe({ op: 'open', from, host, port });
    if (!r.ok || r.conn === undefined) throw new Error(`lab: could not open ${host}:${port} from ${from}`);
    return r.conn;
  }

  /** Does data sent on an open connection come back? */
  async echo(conn: number, data = 'hello'): Promise<boolean> {
    return (await this.#probe({ op: 'echo', conn, data })).ok;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.#children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const timer = setTimeout(() => {
              c.kill('SIGKILL');
              resolve();
            }, 1000);
            c.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            c.stdin?.end();
          }),
      ),
    );
    await this.netns.destroy();
  }
}

/** The ports both backends' tests guard. */
export const GUARDED = [
  { protocol: 'tcp', port: TCP_PORT },
  { protocol: 'tcp', port: TCP_PORT2 },
  { protocol: 'udp', port: UDP_PORT },
] as const;

const openLabs = new Set<Lab>();
after(async () => {
  for (const lab of openLabs) await lab.close();
});

/**
 * A lab, and a backend made by `make` (given the lab's argv prefix) and started on GUARDED in
 * its server namespace; both torn down after the test (and after the file, should a test's
 * own teardown not run).
 */
export async function startBackend<F extends Firewall>(
  t: { after(fn: () => Promise<void>): void },
  make: (argvPrefix: string[]) => F,
): Promise<{ lab: Lab; fw: F }> {
  const lab = await Lab.create();
  openLabs.add(lab);
  const fw = make(lab.prefix);
  t.after(async () => {
    await fw.stop('keep').catch(() => {});
    await lab.close();
    openLabs.delete(lab);
  });
  await fw.start([...GUARDED]);
  return { lab, fw };
}
