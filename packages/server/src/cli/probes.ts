/**
 * Environment probes for `spa-server check`. Each returns a result, never throws.
 *
 * The libpcap probe runs in a child process: if cap's open() fails, closing that object
 * segfaults and garbage-collecting it aborts, so the probe must never share our process.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import type { ClientStanding, FirewallConfig, ServerConfig } from '../config/types.js';
import { stateDirProblem } from '../daemon/index.js';

export interface Probe {
  readonly ok: boolean;
  /** ok, but risky: printed as `warn`, does not change the exit code. */
  readonly warn?: boolean;
  readonly what: string;
  readonly detail: string;
  /** How to fix it (failures and warnings). */
  readonly hint?: string;
}

const pass = (what: string, detail: string): Probe => ({ ok: true, what, detail });
const fail = (what: string, detail: string, hint: string): Probe => ({ ok: false, what, detail, hint });

export function probeInterface(name: string): Probe {
  const what = `interface ${name}`;
  if (name === 'any') return pass(what, 'captures on every interface');
  if (existsSync(join('/sys/class/net', name))) return pass(what, 'exists');
  return fail(what, 'no such interface', 'see `ip link` and fix [server] interfaces');
}

const CAP_PROBE = `
const [capPath, device] = process.argv.slice(1);
let Cap;
try { Cap = require(capPath).Cap; } catch (e) { console.error('load: ' + e.message); process.exit(3); }
const cap = new Cap();
const buffer = Buffer.alloc(65536);
try {
  const link = cap.open(device, 'udp and dst port 9', 1 << 20, buffer);
  cap.close();
  console.log(link);
  process.exit(0);
} catch (e) {
  console.error(e.message);
  process.exit(4); // exit at once: never close or collect a failed Cap object
}`;

export function probeCapture(device: string, timeoutMs = 10_000): Probe {
  const what = `capture on ${device}`;
  let capPath: string;
  try {
    capPath = createRequire(import.meta.url).resolve('cap');
  } catch {
    return fail(what, 'the cap module is not installed', 'reinstall spa-server (pnpm install)');
  }
  const r = spawnSync(process.execPath, ['-e', CAP_PROBE, capPath, device], {
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  const out = (r.stderr || '').trim().split('\n')[0] ?? '';
  if (r.status === 0) return pass(what, `libpcap opens it (link type ${r.stdout.trim()})`);
  if (r.status === 3) {
    return fail(
      what,
      `cannot load libpcap binding: ${out}`,
      'apt-get install libpcap-dev, then rebuild cap (pnpm rebuild cap)',
    );
  }
  if (/permission|not permitted/i.test(out)) {
    return fail(what, out, 'run as root, or with CAP_NET_RAW (the systemd unit grants it)');
  }
  if (r.error || r.status === null) {
    return fail(
      what,
      `probe did not finish (${r.error?.message ?? `signal ${r.signal}`})`,
      'check libpcap and cap',
    );
  }
  return fail(what, out || `probe exited with ${r.status}`, 'check the interface name and libpcap');
}

function onPath(cmd: string, env: Readonly<Record<string, string | undefined>>): string | undefined {
  const candidates =
    isAbsolute(cmd) || cmd.includes('/') ? [cmd] : (env.PATH ?? '').split(delimiter).map((d) => join(d, cmd));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      if (statSync(c).isFile()) return c;
    } catch {
      // next
    }
  }
  return undefined;
}

function run(argv: readonly string[]): { ok: boolean; text: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), {
    encoding: 'utf8',
    timeout: 10_000,
    env: { ...process.env, HOME: '/dev/null' },
  });
  return { ok: r.status === 0, text: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0] ?? '' };
}

export function probeFirewall(
  fw: FirewallConfig,
  env: Readonly<Record<string, string | undefined>>,
): Probe[] {
  const tool = (cmd: string, pkg: string, listArgv: readonly string[]): Probe => {
    const what = `firewall tool ${cmd}`;
    const path = onPath(cmd, env);
    if (!path) return fail(what, 'not found on PATH', `apt-get install ${pkg}`);
    const version = run([path, '--version']);
    const list = run([path, ...listArgv]);
    if (!list.ok) {
      return fail(
        what,
        `\`${cmd} ${listArgv.join(' ')}\` failed: ${list.text}`,
        'run as root, or with CAP_NET_ADMIN (the systemd unit grants it)',
      );
    }
    return pass(what, version.text || path);
  };
  switch (fw.backend) {
    case 'nftables':
      return [tool('nft', 'nftables', ['list', 'tables'])];
    case 'iptables':
      return [
        tool('iptables', 'iptables', ['-S', 'INPUT']),
        tool('ip6tables', 'iptables', ['-S', 'INPUT']),
        tool('ipset', 'ipset', ['list', '-n']),
      ];
    case 'command': {
      const t = fw.command;
      const entries = t
        ? Object.entries(t).filter((e): e is [string, readonly string[]] => e[1] !== undefined)
        : [];
      if (entries.length === 0)
        return [fail('firewall command', 'no templates', 'add [firewall.command] grant = [...]')];
      return entries.map(([k, argv]) => {
        const what = `firewall command ${k}`;
        const path = onPath(argv[0]!, env);
        return path
          ? pass(what, path)
          : fail(what, `${argv[0]} not found or not executable`, `fix firewall.command.${k}`);
      });
    }
    case 'dry-run':
      return [pass('firewall dry-run', 'changes nothing (grants are only logged)')];
  }
}

/** The state directory exists and takes a new file, or can be created. */
export function probeStateDir(dir: string): Probe {
  const what = `state dir ${dir}`;
  if (!existsSync(dir)) {
    let parent = dirname(dir);
    while (!existsSync(parent) && parent !== dirname(parent)) parent = dirname(parent);
    if (!statSync(parent).isDirectory()) {
      return fail(what, `cannot be created: ${parent} is not a directory`, 'fix [server] state_dir');
    }
    try {
      accessSync(parent, constants.W_OK);
      return pass(what, `missing; will be created (mode 0700) under ${parent}`);
    } catch {
      return fail(what, `missing and ${parent} is not writable`, `mkdir -m 700 -p ${dir} (as root)`);
    }
  }
  // Root writes here: another user's directory (or one group/other can write) lets its owner
  // plant symlinks for root to write through; `run` refuses it too (daemon/state-dir.ts).
  const unsafe = stateDirProblem(dir);
  if (unsafe) return fail(what, unsafe.problem, unsafe.fix);
  try {
    if (!statSync(dir).isDirectory()) return fail(what, 'is not a directory', 'fix [server] state_dir');
    rmSync(mkdtempSync(join(dir, '.check-')), { recursive: true });
    return pass(what, 'writable');
  } catch (e) {
    return fail(
      what,
      `not writable: ${(e as Error).message}`,
      `chown the directory to the daemon's user, or fix [server] state_dir`,
    );
  }
}

// --- Lockout warnings: is there another way in if the guard, the daemon or the one laptop
// with a key goes wrong? Warnings, never failures: a host may be fine without.

const warning = (what: string, detail: string, hint: string): Probe => ({
  ok: true,
  warn: true,
  what,
  detail,
  hint,
});

/** Not revoked and not expired at `nowMs`: a client that can still knock. */
export function usable(c: ClientStanding, nowMs: number): boolean {
  return !c.revoked && (c.expiresAtMs === undefined || c.expiresAtMs > nowMs);
}

export function lockoutProbes(config: ServerConfig, nowMs: number): Probe[] {
  const out: Probe[] = [];
  const oob = config.firewall.outOfBand?.trim();
  out.push(
    oob
      ? pass('out-of-band access', oob)
      : warning(
          'out-of-band access',
          'none noted: if spa-server, the firewall or every client key fails, the guarded services are the only way in',
          'note how you get in without the network in [firewall] out_of_band = "provider web console" (or IPMI, KVM, physical access), and turn the guard on with spa-server run --trial 2m',
        ),
  );
  const clients: ClientStanding[] = [...config.clients.values(), ...config.fwknop.clients.values()].filter(
    (c) => usable(c, nowMs),
  );
  for (const s of config.services.values()) {
    const able = clients.filter((c) => c.services.includes(s.name)).map((c) => c.name);
    const what = `service ${s.name} (${s.protocol}/${s.port})`;
    if (able.length >= 2) out.push(pass(what, `${able.length} usable clients can open it`));
    else
      out.push(
        warning(
          what,
          able.length === 0
            ? 'no usable client (not revoked, not expired) can open it: nobody can get in through the guard'
            : `only one usable client (${able[0]}) can open it: a lost or broken device locks you out`,
          `add a second client on another device: spa-server add-client NAME --services ${s.name}`,
        ),
      );
  }
  if (config.firewall.onStop === 'remove') {
    out.push(
      warning(
        'firewall on_stop',
        '"remove": when spa-server stops, every guarded service is open to everyone until it starts again (a kill -9 leaves the guard as it was)',
        'the default on_stop = "keep" fails closed; use "remove" only with out-of-band access and monitoring',
      ),
    );
  }
  return out;
}
