/**
 * The parts of a stanza's plan about what may be opened for whom: SOURCE → allowed_sources,
 * OPEN_PORTS / RESTRICT_PORTS (or `--services`) → services, new services named as they come.
 */
import { type L4Protocol, parseCidr, SERVICE_NAME_PATTERN } from '@spa/shared';
import { type Lookup, type Part, PartBuilder, shownValue } from './part.js';

/** What the ports part needs of the current configuration and the command line. */
export interface PortsContext {
  /** [services] as name → port and protocol, including services this import adds. */
  readonly services: ReadonlyMap<string, { readonly port: number; readonly protocol: L4Protocol }>;
  /** Ports no service may use (knock ports, sequence range, fwknop port), with what they are. */
  readonly reservedPorts: readonly { readonly range: readonly [number, number]; readonly what: string }[];
  /** `--services`: for stanzas without OPEN_PORTS. */
  readonly defaultServices?: readonly string[];
}

/** Well-known names for new services; anything else is PROTO+PORT ("tcp8080"). */
const WELL_KNOWN: Record<string, string> = {
  'tcp/22': 'ssh',
  'tcp/80': 'http',
  'tcp/443': 'https',
  'udp/53': 'dns',
  'udp/1194': 'openvpn',
  'tcp/3389': 'rdp',
};

/** SOURCE (the stanza's first line): ANY, or addresses and networks. */
export function planSource(source: string): Part {
  const part = new PartBuilder();
  const sources = source
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (sources.some((s) => s.toUpperCase() === 'ANY')) {
    part.table.allowed_sources = [];
    part.carry(`SOURCE ${shownValue('SOURCE', source)}`, 'allowed_sources = [] (anywhere)');
    return part;
  }
  const bad = sources.find((s) => !parseCidr(s));
  if (bad !== undefined || sources.length === 0) {
    part.refuse(
      `SOURCE "${shownValue('SOURCE', bad ?? source)}" is not an address or network`,
      'write addresses or CIDR networks separated by commas, e.g. SOURCE 192.0.2.0/24, 198.51.100.7, or ANY',
    );
  } else {
    part.table.allowed_sources = sources;
    part.carry(`SOURCE ${source}`, `allowed_sources = ${JSON.stringify(sources)}`);
  }
  return part;
}

interface Port {
  readonly protocol: L4Protocol;
  readonly port: number;
  readonly text: string;
}

/** "tcp/22, udp/53" → ports; the first bad item is returned as a string. */
function parsePorts(value: string): Port[] | string {
  const out: Port[] = [];
  for (const item of value.split(',')) {
    const text = item.trim();
    const m = /^(tcp|udp)\/([0-9]{1,5})$/i.exec(text);
    const port = m ? Number(m[2]) : 0;
    if (!m || port < 1 || port > 65535) return text;
    if (!out.some((p) => p.protocol === m[1]!.toLowerCase() && p.port === port))
      out.push({ protocol: m[1]!.toLowerCase() as L4Protocol, port, text: `${m[1]!.toLowerCase()}/${port}` });
  }
  return out;
}

/**
 * OPEN_PORTS minus RESTRICT_PORTS → `services`: a port a service has already takes that
 * service, any other becomes a new service; without OPEN_PORTS, `--services` (minus the
 * restricted ones). RESTRICT_PORTS itself never carries: spa opens only the listed services.
 */
export function planPorts(get: Lookup, ctx: PortsContext): Part {
  const part = new PartBuilder();
  const open = get('OPEN_PORTS');
  const restrict = get('RESTRICT_PORTS');
  const restricted = restrict ? parsePorts(restrict.value) : [];
  if (restrict) {
    if (typeof restricted === 'string') {
      part.refuse(
        `RESTRICT_PORTS item "${shownValue('RESTRICT_PORTS', restricted)}" is not PROTO/PORT`,
        'write e.g. RESTRICT_PORTS tcp/25, udp/161',
      );
    } else {
      part.skip(
        restrict,
        'spa opens only the listed services anyway (restricted ports among them are dropped)',
      );
    }
  }
  const isRestricted = (p: { protocol: string; port: number }): boolean =>
    Array.isArray(restricted) && restricted.some((r) => r.protocol === p.protocol && r.port === p.port);
  const serviceNames: string[] = [];
  if (open) {
    const ports = parsePorts(open.value);
    if (typeof ports === 'string') {
      part.refuse(
        `OPEN_PORTS item "${shownValue('OPEN_PORTS', ports)}" is not PROTO/PORT`,
        'write e.g. OPEN_PORTS tcp/22, udp/53',
      );
      return part;
    }
    for (const p of ports) {
      const left = (why: string) =>
        part.notCarried.push({ fwknop: 'OPEN_PORTS', value: p.text, why, line: open.line });
      if (isRestricted(p)) {
        left('also in RESTRICT_PORTS, so fwknopd never opens it');
        continue;
      }
      const clash = ctx.reservedPorts.find((r) => p.port >= r.range[0] && p.port <= r.range[1]);
      if (clash) {
        left(`port ${p.port} is inside ${clash.what}: spa cannot guard it there`);
        continue;
      }
      serviceNames.push(serviceFor(p, ctx, part));
    }
    if (serviceNames.length > 0) {
      const created = part.newServices.map((s) => `${s.name} = "${s.spec}"`);
      part.carry(
        `OPEN_PORTS ${open.value}`,
        `services = ${JSON.stringify(serviceNames)}${created.length ? ` (new in [services]: ${created.join(', ')})` : ''}`,
      );
    } else if (ports.length > 0) {
      part.refuse(
        'none of the OPEN_PORTS can be opened by spa (see above)',
        'change OPEN_PORTS, or move the knock ports in the spa config',
      );
    }
  } else if (ctx.defaultServices && ctx.defaultServices.length > 0) {
    for (const s of ctx.defaultServices) {
      const def = ctx.services.get(s);
      if (def && isRestricted(def))
        part.notCarried.push({
          fwknop: 'RESTRICT_PORTS',
          value: `${def.protocol}/${def.port}`,
          why: `--services ${s} is restricted here, so it is left out`,
        });
      else serviceNames.push(s);
    }
    if (serviceNames.length > 0) {
      part.carry('OPEN_PORTS (not set)', `services = ${JSON.stringify(serviceNames)} (from --services)`);
    } else {
      part.refuse(
        'every --services entry is in RESTRICT_PORTS',
        'give other services with --services, or add OPEN_PORTS',
      );
    }
  } else {
    part.refuse(
      'no OPEN_PORTS: fwknopd opens any port the client asks for, spa opens only listed services',
      'add e.g. OPEN_PORTS tcp/22 to the stanza, or run again with --services ssh (names from [services])',
    );
  }
  if (serviceNames.length > 0) part.table.services = [...new Set(serviceNames)];
  return part;
}

/** The service for a port: the configured one on that port, or a new one (added to `part`). */
function serviceFor(p: Port, ctx: PortsContext, part: PartBuilder): string {
  const existing = [...ctx.services].find(([, s]) => s.port === p.port && s.protocol === p.protocol);
  if (existing) return existing[0];
  const taken = (n: string): boolean => ctx.services.has(n) || part.newServices.some((s) => s.name === n);
  const wk = WELL_KNOWN[p.text];
  let name = wk && !taken(wk) ? wk : `${p.protocol}${p.port}`;
  for (let i = 2; taken(name); i++) name = `${p.protocol}${p.port}-${i}`;
  if (!SERVICE_NAME_PATTERN.test(name)) throw new Error(`service name ${name}`); // cannot happen: proto+digits
  part.newServices.push({ name, spec: `${p.port}/${p.protocol}` });
  return name;
}
