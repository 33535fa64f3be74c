/**
 * `spa-server import-fwknop ACCESS_CONF`: fwknopd's access.conf stanzas → `[fwknop_clients.NAME]`
 * tables (and the `[services]` they need), so the stock fwknop clients keep working against
 * spa-server. Prints, for every stanza, what was carried over and what was not and why; a
 * stanza spa cannot honour as fwknopd did is skipped with how to fix it. Re-running is safe:
 * a stanza whose keys are already in the config is reported as already imported.
 * The report goes to stdout; hints and the summary to stderr.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { L4Protocol } from '@spa/shared';
import {
  addFwknopImportText,
  DEFAULTS,
  isTable,
  NAME_PATTERN,
  parseToml,
  type Table,
} from '../config/index.js';
import {
  type Collected,
  collectStanzas,
  type ExistingFwknopClient,
  keyBytes,
  type PlanContext,
  planImport,
  type StanzaPlan,
} from '../fwknop-import/index.js';
import { commitEdit, RELOAD_HINT, readCurrent } from './edit-config.js';
import { CliError, EXIT, UsageError } from './errors.js';
import type { Io } from './io.js';

export interface ImportFwknopOptions {
  readonly configPath: string;
  readonly accessConfPath: string;
  /** Print the same report, write nothing. */
  readonly dryRun?: boolean;
  /** Services (names from [services]) for stanzas without OPEN_PORTS. */
  readonly services?: readonly string[];
  /** Client names become PREFIX-USERNAME or PREFIX-N instead of USERNAME or fwknop-N. */
  readonly prefix?: string;
  /** Clock for "already past" expiry notes (tests). */
  readonly now?: () => number;
}

function readAccessText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory'
            : (e as Error).message;
    const hint =
      code === 'EACCES' || code === 'EPERM'
        ? 'run as root (sudo): fwknopd keeps access.conf readable by root only'
        : "give the path of fwknopd's access.conf, usually /etc/fwknop/access.conf";
    throw new CliError('access-conf-unreadable', `cannot read ${path}: ${why}`, hint, EXIT.runtime);
  }
}

function existingFwknopClients(doc: Table): ExistingFwknopClient[] {
  const t = doc.fwknop_clients;
  if (!isTable(t)) return [];
  return Object.entries(t).map(([name, v]) => {
    const e = isTable(v) ? v : {};
    const str = (k: string): string | undefined => (typeof e[k] === 'string' ? (e[k] as string) : undefined);
    const enc = str('key_base64') ?? str('key');
    const mac = str('hmac_key_base64') ?? str('hmac_key');
    return {
      name,
      encKey: enc === undefined ? undefined : keyBytes(enc, str('key_base64') !== undefined),
      hmacKey: mac === undefined ? undefined : keyBytes(mac, str('hmac_key_base64') !== undefined),
    };
  });
}

function fwknopPort(doc: Table): number {
  const f = doc.fwknop;
  const p = isTable(f) ? f.port : undefined;
  return typeof p === 'number' ? p : DEFAULTS.fwknopPort;
}

/** Report lines for one stanza (no trailing newline). */
export function describePlan(plan: StanzaPlan, where: (file: string) => string, dryRun: boolean): string[] {
  const s = plan.stanza;
  const head = `stanza ${s.number} (${where(s.file)}:${s.line}, SOURCE ${s.source})`;
  const out: string[] = [];
  const [first, ...more] = plan.refused;
  if (first) {
    out.push(`${head}: skipped: ${first.why}`, `  fix: ${first.fix}`);
    const fixes = new Set([first.fix]);
    for (const r of more) {
      out.push(`  also: ${r.why}`);
      if (!fixes.has(r.fix)) out.push(`  fix: ${r.fix}`); // one fix may cover several problems
      fixes.add(r.fix);
    }
  } else if (plan.alreadyAs) {
    out.push(`${head}: already imported as fwknop client ${plan.alreadyAs} (same keys); nothing to do`);
  } else {
    out.push(`${head}: ${dryRun ? 'would import' : 'imported'} as fwknop client ${plan.name}`);
    for (const c of plan.carried) out.push(`  carried      ${c.fwknop} → ${c.spa}`);
  }
  for (const n of plan.notCarried) {
    const at = n.line !== undefined ? ` (line ${n.line})` : '';
    out.push(`  not carried  ${n.fwknop}=${n.value}${at}: ${n.why}`);
  }
  return out;
}

export function importFwknop(opts: ImportFwknopOptions, io: Io): number {
  if (opts.prefix !== undefined && !NAME_PATTERN.test(`${opts.prefix}-1`)) {
    throw new UsageError(
      `--prefix "${opts.prefix}" does not make valid client names`,
      'use letters, digits, ".", "_" or "-"',
    );
  }
  const current = readCurrent(opts.configPath);
  const { config } = current;
  const doc = parseToml(current.text, current.file);
  const defined = [...config.services.keys()];
  for (const s of opts.services ?? []) {
    if (!config.services.has(s))
      throw new UsageError(
        `--services: unknown service "${s}"`,
        `defined in ${current.file}: ${defined.join(', ') || 'none'}`,
      );
  }

  const accessFile = resolve(opts.accessConfPath);
  const collected: Collected = collectStanzas(accessFile, readAccessText(accessFile), {
    read: (p) => readFileSync(p, 'utf8'),
    list: (d) => readdirSync(d),
  });
  const base = dirname(accessFile);
  const where = (file: string): string => {
    const r = relative(base, file);
    return r.startsWith('..') ? file : r;
  };

  const knockRange: [number, number] =
    config.knock.mode === 'fixed'
      ? [config.knock.port, config.knock.port]
      : [config.knock.range[0], config.knock.range[1]];
  const reservedPorts: PlanContext['reservedPorts'] = [
    { range: knockRange, what: `spa's knock ports ${knockRange[0]}-${knockRange[1]}` },
    ...(config.sequence
      ? [
          {
            range: config.sequence.range,
            what: `spa's sequence ports ${config.sequence.range[0]}-${config.sequence.range[1]}`,
          },
        ]
      : []),
    {
      range: [fwknopPort(doc), fwknopPort(doc)] as const,
      what: `the fwknop port ${fwknopPort(doc)} ([fwknop] port)`,
    },
  ];
  const services = new Map<string, { port: number; protocol: L4Protocol }>();
  for (const [name, s] of config.services) services.set(name, { port: s.port, protocol: s.protocol });
  const plans = planImport(collected.stanzas, {
    services,
    clientNames: new Set(config.clients.keys()),
    fwknopClients: existingFwknopClients(doc),
    reservedPorts,
    ...(opts.services && opts.services.length > 0 ? { defaultServices: [...new Set(opts.services)] } : {}),
    ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}),
    policy: config.policy,
    nowMs: (opts.now ?? Date.now)(),
  });

  const dryRun = opts.dryRun === true;
  for (const n of collected.directives) {
    const d = n.directive;
    io.out(`${where(d.file)}:${d.line}: %${d.kind} ${d.path}: ${n.result}`);
  }
  for (const p of collected.problems) io.out(`${where(p.file)}:${p.line}: not carried  ${p.text}: ${p.why}`);
  for (const plan of plans) io.out(describePlan(plan, where, dryRun).join('\n'));

  const imported = plans.filter((p) => p.refused.length === 0 && !p.alreadyAs);
  const already = plans.filter((p) => p.alreadyAs);
  const skipped = plans.filter((p) => p.refused.length > 0);
  const counts = `${plans.length} stanza${plans.length === 1 ? '' : 's'}: ${imported.length} ${dryRun ? 'to import' : 'imported'}, ${already.length} already imported, ${skipped.length} skipped`;
  if (plans.length === 0) {
    io.err(`${accessFile}: no stanzas (every stanza starts with a SOURCE line); nothing imported`);
    return EXIT.config;
  }
  if (imported.length === 0) {
    io.err(`${counts}; nothing ${dryRun ? 'to write' : 'written'} to ${current.file}`);
    if (skipped.length > 0) {
      io.err(
        'fix the skipped stanzas as shown (in access.conf, or with --services) and run the command again',
      );
      return EXIT.config;
    }
    return EXIT.ok;
  }
  const newServices = imported.flatMap((p) => p.newServices.map((s) => [s.name, s.spec] as const));
  const clients = imported.map((p) => [p.name!, p.table] as const);
  if (dryRun) {
    io.err(`${counts}`);
    io.err(
      `dry run: nothing written; without --dry-run this adds ${clients.length} [fwknop_clients] table(s) and ${newServices.length} service(s) to ${current.file}`,
    );
    return EXIT.ok;
  }
  commitEdit(
    current,
    addFwknopImportText(current.text, current.file, { services: newServices, clients }),
    io,
  );
  io.err(`${counts}; written to ${current.file}`);
  io.err(RELOAD_HINT);
  io.err(
    `the fwknop clients keep sending to udp/${fwknopPort(doc)}; once spa-server serves them, stop fwknopd (systemctl disable --now fwknop-server) so only one daemon answers`,
  );
  return EXIT.ok;
}
