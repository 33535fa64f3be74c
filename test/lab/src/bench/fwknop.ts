/**
 * fwknopd, the reference SPA daemon, as a system under test: its own fwknopd.conf and
 * access.conf in the run's temp dir (Rijndael + HMAC-SHA256 keys from `fwknop --key-gen`),
 * iptables firewall mode in the server's namespace (fwknopd adds its FWKNOP_INPUT chain; we add
 * the rule that drops the guarded port), run in the foreground with every state file in the
 * temp dir. Otherwise fwknopd's defaults, as a user gets them: libpcap on udp/62201, polled
 * every 100 ms (PCAP_LOOP_SLEEP), one iptables process per rule.
 *
 * Knocks are made by the real client, `fwknop --test --save-packet` (build, don't send), and
 * sent by the prober like spa's, so both systems' latency starts at the same moment.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab, LabHost, LabProcess } from '../lab/index.js';
import type { GuardedSystem, Knock } from './system.js';

export const FWKNOP_SPA_PORT = 62201;
const START_TIMEOUT_MS = 10_000;

function run(argv: readonly string[]): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 10_000 });
  if (r.error || r.status !== 0) {
    throw new Error(`${argv.join(' ')} failed: ${r.error ? String(r.error) : r.stderr || r.stdout}`);
  }
  return r.stdout;
}

export function fwknopVersion(): string {
  try {
    return /fwknopd server ([\d.]+)/.exec(run(['fwknopd', '--version']))?.[1] ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

export interface FwknopOptions {
  /** The run's temp dir (configs, keys, pid, digest cache, saved packets). */
  dir: string;
  guardedPort: number;
  /** Seconds each grant lasts (fwknop client's `-f`). */
  grantSeconds: number;
}

export class Fwknop implements GuardedSystem {
  readonly name = 'fwknop' as const;
  readonly base64 = true;
  readonly label: string;
  readonly guardedPort: number;
  readonly grantSeconds: number;
  packetSize = 0;
  private readonly proc: LabProcess;
  private readonly dir: string;
  private readonly server: LabHost;
  private readonly keys: { enc: string; hmac: string };
  private count = 0;

  private constructor(
    proc: LabProcess,
    server: LabHost,
    keys: { enc: string; hmac: string },
    o: FwknopOptions,
  ) {
    this.proc = proc;
    this.server = server;
    this.keys = keys;
    this.dir = o.dir;
    this.guardedPort = o.guardedPort;
    this.grantSeconds = o.grantSeconds;
    this.label = `fwknopd ${fwknopVersion()}`;
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  static async start(lab: Lab, o: FwknopOptions): Promise<Fwknop> {
    const server = lab.hosts.server;
    const rc = join(o.dir, 'fwknoprc');
    const keygen = run(['fwknop', '--key-gen', '--rc-file', rc]);
    const enc = /KEY_BASE64:\s*(\S+)/.exec(keygen)?.[1];
    const hmac = /HMAC_KEY_BASE64:\s*(\S+)/.exec(keygen)?.[1];
    if (!enc || !hmac) throw new Error(`fwknop --key-gen printed no keys:\n${keygen}`);

    const conf = join(o.dir, 'fwknopd.conf');
    const access = join(o.dir, 'access.conf');
    writeFileSync(
      conf,
      [
        `PCAP_INTF                 ${server.ifname};`,
        `PCAP_FILTER               udp port ${FWKNOP_SPA_PORT};`,
        'ENABLE_PCAP_PROMISC       N;',
        'FLUSH_IPT_AT_INIT         Y;',
        'FLUSH_IPT_AT_EXIT         Y;',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    writeFileSync(
      access,
      [
        'SOURCE              ANY',
        `OPEN_PORTS          tcp/${o.guardedPort}`,
        `KEY_BASE64          ${enc}`,
        `HMAC_KEY_BASE64     ${hmac}`,
        'HMAC_DIGEST_TYPE    SHA256',
        `FW_ACCESS_TIMEOUT   ${o.grantSeconds}`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    chmodSync(conf, 0o600);
    chmodSync(access, 0o600);

    // The guard: fwknopd only adds ACCEPT rules (in FWKNOP_INPUT, jumped to first); the DROP is ours.
    const port = String(o.guardedPort);
    for (const verdict of [
      ['-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'],
      ['-j', 'DROP'],
    ]) {
      const rule = ['iptables', '-A', 'INPUT', '-p', 'tcp', '--dport', port, ...verdict];
      await lab.exec(server, rule, { check: true });
    }

    const proc = lab.spawn(server, [
      'fwknopd',
      '-f',
      '-c',
      conf,
      '-a',
      access,
      '-i',
      server.ifname,
      '-p',
      join(o.dir, 'fwknopd.pid'),
      '-d',
      join(o.dir, 'digest.cache'),
      '-r',
      o.dir,
    ]);
    await proc.waitForLine(/main event loop/, START_TIMEOUT_MS);
    const f = new Fwknop(proc, server, { enc, hmac }, o);
    f.packetSize = (await f.knock('192.0.2.2')).bytes.length;
    return f;
  }

  async knock(source: string): Promise<Knock> {
    const file = join(this.dir, `packet-${this.count++ % 16}`);
    run([
      'fwknop',
      '--rc-file',
      join(this.dir, 'fwknoprc'),
      '--no-save-args',
      '-A',
      `tcp/${this.guardedPort}`,
      '-a',
      source,
      '-D',
      this.server.ipv4,
      '--key-base64-rijndael',
      this.keys.enc,
      '--key-base64-hmac',
      this.keys.hmac,
      '--use-hmac',
      '-f',
      String(this.grantSeconds),
      '--test',
      '--save-packet',
      file,
    ]);
    const text = readFileSync(file, 'utf8').trim();
    return { bytes: new TextEncoder().encode(text), port: FWKNOP_SPA_PORT };
  }

  /** fwknopd's own output (for diagnostics). */
  tail(): string {
    return this.proc.tail();
  }

  async stop(): Promise<void> {
    await this.proc.kill('SIGTERM', 2000);
  }
}
