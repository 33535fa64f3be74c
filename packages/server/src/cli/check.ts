/**
 * `spa-server check`: is this config valid and can this machine run it? One `ok`/`warn`/`FAIL`
 * line per check, with how to fix each failure or warning. Exit 0 if all pass (warnings
 * included), 2 if the config itself cannot be loaded, 1 if the environment has problems.
 * Warnings are lockout risks (probes.ts): no out-of-band access noted, a service fewer than
 * two usable clients can open, on_stop = "remove".
 */
import { ConfigError, loadConfig } from '../config/index.js';
import type { ClientStanding, ServerConfig } from '../config/types.js';
import { EXIT } from './errors.js';
import type { Io } from './io.js';
import {
  lockoutProbes,
  type Probe,
  probeCapture,
  probeFirewall,
  probeInterface,
  probeStateDir,
} from './probes.js';

export interface CheckOptions {
  readonly configPath: string;
  /** Skip the libpcap probe (tests without root). */
  readonly skipCapture?: boolean;
}

function line(p: Probe): string {
  const fix = p.hint ? `\n     fix: ${p.hint}` : '';
  if (!p.ok) return `FAIL ${p.what}: ${p.detail}${fix}`;
  return p.warn ? `warn ${p.what}: ${p.detail}${fix}` : `ok   ${p.what}: ${p.detail}`;
}

function summary(config: ServerConfig): string {
  const now = Date.now();
  const clients: ClientStanding[] = [...config.clients.values(), ...config.fwknop.clients.values()];
  const fwknop = config.fwknop.clients.size;
  const revoked = clients.filter((c) => c.revoked).length;
  const expired = clients.filter(
    (c) => !c.revoked && c.expiresAtMs !== undefined && c.expiresAtMs <= now,
  ).length;
  const extra = [revoked ? `${revoked} revoked` : '', expired ? `${expired} expired` : '']
    .filter(Boolean)
    .join(', ');
  const kinds = fwknop > 0 ? `, ${fwknop} of them fwknop clients on udp/${config.fwknop.port}` : '';
  return `${config.services.size} services, ${clients.length} clients${kinds}${extra ? ` (${extra})` : ''}`;
}

export function check(opts: CheckOptions, io: Io): number {
  let config: ServerConfig;
  try {
    config = loadConfig(opts.configPath);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    io.out(
      line({
        ok: false,
        what: 'config',
        detail: `${e.file}: ${e.key ? `${e.key}: ` : ''}${e.problem}`,
        hint: e.hint,
      }),
    );
    return EXIT.config;
  }
  const probes: Probe[] = [{ ok: true, what: 'config', detail: `${config.path} (${summary(config)})` }];
  if (config.clients.size === 0) {
    probes.push({ ok: true, what: 'clients', detail: 'none yet (add one with spa-server add-client NAME)' });
  }
  for (const name of config.interfaces) {
    const p = probeInterface(name);
    probes.push(p);
    if (p.ok && !opts.skipCapture) probes.push(probeCapture(name));
  }
  probes.push(...probeFirewall(config.firewall, io.env));
  probes.push(probeStateDir(config.stateDir));
  probes.push(...lockoutProbes(config, Date.now()));
  for (const notice of config.notices ?? [])
    probes.push({ ok: true, warn: true, what: 'two-factor', detail: notice });
  for (const p of probes) io.out(line(p));
  const failed = probes.filter((p) => !p.ok).length;
  const warned = probes.filter((p) => p.ok && p.warn).length;
  const warnings = warned === 0 ? '' : ` (${warned} warning${warned === 1 ? '' : 's'}: see the warn lines)`;
  io.err(
    failed === 0
      ? `all checks passed${warnings}`
      : `${failed} check${failed === 1 ? '' : 's'} failed${warnings}`,
  );
  return failed === 0 ? EXIT.ok : EXIT.runtime;
}
