/**
 * The message field of an fwknop plaintext: "ip,proto/port[,proto/port…]" for the access
 * types (the client sends 0.0.0.0 for -s), "ip,command" for the command type, and the
 * NAT access field "host,port". Only IPv4: the 2.6.10 client refuses an IPv6 -a.
 */
import { formatIpv4, type IpAddress, parseIpv4 } from '../address.js';

export interface FwknopPort {
  protocol: 'tcp' | 'udp';
  port: number;
}

export interface FwknopAccess {
  allow: IpAddress | 'source';
  ports: FwknopPort[];
}

/** Most ports one message can carry (256 characters / "tcp/1,"). */
const MAX_PORTS = 64;

function parseAllow(text: string): IpAddress | 'source' | undefined {
  const bytes = parseIpv4(text);
  if (!bytes) return undefined;
  return bytes.every((b) => b === 0) ? 'source' : { family: 4, bytes };
}

/** Ports as the client writes them: lowercase tcp/udp, 1..65535 (leading zeros occur: -A tcp/022). */
function parsePort(text: string): FwknopPort | undefined {
  const m = /^(tcp|udp)\/([0-9]{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { protocol: m[1] as 'tcp' | 'udp', port };
}

export function parseFwknopAccess(message: string): FwknopAccess | undefined {
  const parts = message.split(',');
  if (parts.length < 2 || parts.length > MAX_PORTS + 1) return undefined;
  const allow = parseAllow(parts[0]!);
  if (!allow) return undefined;
  const ports: FwknopPort[] = [];
  for (const p of parts.slice(1)) {
    const port = parsePort(p);
    if (!port) return undefined;
    ports.push(port);
  }
  return { allow, ports };
}

/** The command of "ip,command" (the address must be IPv4), or undefined. */
export function parseFwknopCommand(message: string): string | undefined {
  const comma = message.indexOf(',');
  if (comma < 0 || !parseIpv4(message.slice(0, comma))) return undefined;
  const command = message.slice(comma + 1);
  return command.length > 0 ? command : undefined;
}

/** "host,port" with a port in 1..65535. */
export function validNatAccess(text: string): boolean {
  const m = /^([A-Za-z0-9.-]{1,253}),([0-9]{1,5})$/.exec(text);
  return !!m && Number(m[2]) >= 1 && Number(m[2]) <= 65535;
}

/** The message text the client builds for -A/-a (or -s, as 'source'). */
export function fwknopAccessMessage(allow: IpAddress | 'source', ports: readonly FwknopPort[]): string {
  const ip = allow === 'source' ? '0.0.0.0' : formatIpv4(allow.bytes);
  return [ip, ...ports.map((p) => `${p.protocol}/${p.port}`)].join(',');
}
