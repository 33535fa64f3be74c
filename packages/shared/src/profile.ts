/**
 * Client profile URI (docs/protocol.md §9): everything a client needs for one server, on
 * one line, as printed by `spa-server add-client` and read by `spa-client import`.
 *
 *   spa://v1/<base64url(JSON)>.<8 hex: SHA-256("spa profile v1" ‖ JSON bytes)[0..4]>
 *
 * The JSON carries the secrets as their own checksummed text forms (keys.ts). Parsing
 * throws `SpaError` with code `profile` and a message naming what is wrong.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concat, fromBase64Url, toBase64Url, toHex, utf8 } from './bytes.js';
import { SpaError } from './errors.js';
import { decodeSecret, decodeServerId, encodeSecret, encodeServerId } from './keys.js';
import type { KnockPortMode, PortRange } from './knock-port.js';
import { type L4Protocol, parsePortSpec } from './payload.js';
import { assertSequenceSpec, type SequenceSpec } from './sequence.js';
import { SERVICE_NAME_PATTERN } from './wire.js';

export const PROFILE_SCHEME = 'spa://';
export const PROFILE_VERSION = 1;

export interface ProfileService {
  readonly protocol: L4Protocol;
  readonly port: number;
}

export interface ClientProfile {
  /** What the user calls the server (`ssh@web1`); defaults to the server's own name. */
  readonly server: string;
  /** The client's name on the server (for its logs and policy). */
  readonly client: string;
  /** Host name or address the client sends to and connects to. */
  readonly host: string;
  readonly serverId: Uint8Array;
  readonly serverSecret: Uint8Array;
  readonly clientSecret: Uint8Array;
  readonly knock: KnockPortMode;
  readonly stepSeconds: number;
  readonly services: Readonly<Record<string, ProfileService>>;
  /** Present when the server accepts one-time knock sequences from this client. */
  readonly sequence?: SequenceSpec & { readonly gapMs: number };
  /**
   * Two-factor knocks: the fingerprint (`SHA256:…`, as `ssh-keygen -l` prints it) of the SSH
   * key in the user's ssh-agent that must sign every knock (docs/protocol.md §12).
   */
  readonly sshKey?: string;
}

/** An SSH key fingerprint as `ssh-keygen -l` prints it for SHA-256. */
export const SSH_FINGERPRINT_PATTERN = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** A server or client name as it travels in a profile (and in configs that produce one). */
export const PROFILE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
/** A host name or address as it travels in a profile. */
export const PROFILE_HOST_PATTERN = /^[A-Za-z0-9.:_-]{1,253}$/;

function checksum(json: Uint8Array): string {
  return toHex(sha256(concat(utf8('spa profile v1'), json)).subarray(0, 4));
}

export function encodeProfile(p: ClientProfile): string {
  const body = {
    v: PROFILE_VERSION,
    server: p.server,
    client: p.client,
    host: p.host,
    serverId: encodeServerId(p.serverId),
    serverSecret: encodeSecret('server', p.serverSecret),
    clientKey: encodeSecret('client', p.clientSecret),
    knock: p.knock.mode === 'fixed' ? { port: p.knock.port } : { range: [...p.knock.range] },
    step: p.stepSeconds,
    services: Object.fromEntries(Object.entries(p.services).map(([n, s]) => [n, `${s.port}/${s.protocol}`])),
    ...(p.sequence
      ? {
          sequence: {
            length: p.sequence.length,
            protocol: p.sequence.protocol,
            range: [...p.sequence.range],
            gapMs: p.sequence.gapMs,
          },
        }
      : {}),
    ...(p.sshKey ? { sshKey: p.sshKey } : {}),
  };
  const json = utf8(JSON.stringify(body));
  return `${PROFILE_SCHEME}v${PROFILE_VERSION}/${toBase64Url(json)}.${checksum(json)}`;
}

function fail(message: string): never {
  throw new SpaError(
    'profile',
    `profile: ${message}`,
    'copy the whole spa:// line again from `spa-server add-client`',
  );
}

function field<T>(
  o: Record<string, unknown>,
  key: string,
  check: (v: unknown) => v is T,
  what: string,
  parent = '',
): T {
  const v = o[key];
  const name = parent ? `${parent}.${key}` : key;
  if (v === undefined) fail(`field "${name}" is missing`);
  if (!check(v)) fail(`field "${name}" must be ${what}`);
  return v;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isRange = (v: unknown): v is [number, number] =>
  Array.isArray(v) && v.length === 2 && v.every((x) => isInt(x) && x >= 1 && x <= 65535) && v[0] <= v[1];

export function parseProfile(uri: string): ClientProfile {
  const text = uri.replace(/\s+/g, '');
  if (!text.startsWith(PROFILE_SCHEME)) fail(`must start with ${PROFILE_SCHEME}`);
  const rest = text.slice(PROFILE_SCHEME.length);
  const m = /^v([0-9]+)\/([A-Za-z0-9_-]+)\.([0-9a-f]{8})$/.exec(rest);
  if (!m) fail('expected spa://v1/<data>.<checksum>; the line looks cut or altered');
  if (Number(m[1]) !== PROFILE_VERSION) {
    fail(`version ${m[1]} is not supported (this client reads v${PROFILE_VERSION}); update spa-client`);
  }
  const json = fromBase64Url(m[2]!);
  if (!json) fail('the data part is not valid base64url');
  if (checksum(json) !== m[3]) fail('checksum mismatch: the line was damaged in copy-paste');
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch {
    fail('the data part is not valid JSON');
  }
  if (!isObject(body)) fail('the data part is not an object');
  if (body.v !== PROFILE_VERSION) fail(`inner version ${String(body.v)} is not supported`);
  const server = field(body, 'server', isString, 'a name');
  if (!PROFILE_NAME_PATTERN.test(server)) fail('field "server" must be a name of letters, digits, . _ -');
  const client = field(body, 'client', isString, 'a name');
  if (!PROFILE_NAME_PATTERN.test(client)) fail('field "client" must be a name of letters, digits, . _ -');
  const host = field(body, 'host', isString, 'a host name or address');
  if (!PROFILE_HOST_PATTERN.test(host)) fail('field "host" must be a host name or address');
  const serverId = wrap('serverId', () => decodeServerId(field(body, 'serverId', isString, 'hex')));
  const serverSecret = wrap('serverSecret', () =>
    decodeSecret('server', field(body, 'serverSecret', isString, 'a key')),
  );
  const clientSecret = wrap('clientKey', () =>
    decodeSecret('client', field(body, 'clientKey', isString, 'a key')),
  );
  const k = field(body, 'knock', isObject, 'an object');
  let knock: KnockPortMode;
  if (k.port !== undefined) {
    if (!isInt(k.port) || k.port < 1 || k.port > 65535) fail('field "knock.port" must be a port number');
    knock = { mode: 'fixed', port: k.port };
  } else {
    knock = { mode: 'rotating', range: field(k, 'range', isRange, 'a [low, high] port range', 'knock') };
  }
  const stepSeconds = field(body, 'step', isInt, 'an integer');
  if (stepSeconds < 1 || stepSeconds > 3600) fail('field "step" must be 1..3600 seconds');
  const svc = field(body, 'services', isObject, 'an object');
  const services: Record<string, ProfileService> = {};
  for (const [name, spec] of Object.entries(svc)) {
    if (!SERVICE_NAME_PATTERN.test(name)) fail(`service name "${name}" is not valid`);
    const parsed = isString(spec) ? parsePortSpec(spec) : undefined;
    if (!parsed) fail(`service "${name}" must look like "22/tcp"`);
    services[name] = parsed;
  }
  let sequence: ClientProfile['sequence'];
  if (body.sequence !== undefined) {
    const s = field(body, 'sequence', isObject, 'an object');
    const spec = {
      length: field(s, 'length', isInt, 'an integer', 'sequence'),
      protocol: field(s, 'protocol', isString, 'tcp, udp or mixed', 'sequence') as SequenceSpec['protocol'],
      range: field(s, 'range', isRange, 'a [low, high] port range', 'sequence') as PortRange,
      gapMs: field(s, 'gapMs', isInt, 'an integer', 'sequence'),
    };
    wrap('sequence', () => assertSequenceSpec(spec));
    if (spec.gapMs < 100 || spec.gapMs > 600_000) fail('field "sequence.gapMs" must be 100..600000');
    sequence = spec;
  }
  let sshKey: string | undefined;
  if (body.sshKey !== undefined) {
    sshKey = field(body, 'sshKey', isString, 'an SSH key fingerprint');
    if (!SSH_FINGERPRINT_PATTERN.test(sshKey))
      fail('field "sshKey" must look like "SHA256:" + 43 base64 characters');
  }
  return {
    server,
    client,
    host,
    serverId,
    serverSecret,
    clientSecret,
    knock,
    stepSeconds,
    services,
    ...(sequence ? { sequence } : {}),
    ...(sshKey ? { sshKey } : {}),
  };
}

function wrap<T>(key: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof SpaError && e.code === 'profile') throw e;
    fail(`field "${key}": ${e instanceof Error ? e.message : String(e)}`);
  }
}
