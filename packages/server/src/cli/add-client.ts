/**
 * `spa-server add-client NAME`: a fresh client key, stored in the config file; prints the
 * client's one-line spa:// profile on stdout and nothing else there (hints go to stderr),
 * so `spa-server add-client bob > bob.profile` works; `--out bob.profile` writes it to a new
 * file at mode 0600 instead (profile-out.ts).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import {
  encodeSecret,
  formatAuthorizedKey,
  isSkType,
  parseAuthorizedKey,
  parseCidr,
  SECRET_LENGTH,
  type SshPublicKey,
  sshFingerprint,
} from '@spa/shared';
import type { Table } from '../config/index.js';
import { addClientText, clientProfileUri, NAME_PATTERN, parseExpiry } from '../config/index.js';
import { commitEdit, RELOAD_HINT, readCurrent } from './edit-config.js';
import { CliError, UsageError } from './errors.js';
import type { Io } from './io.js';
import { createProfileFile, emitProfile } from './profile-out.js';

export interface AddClientOptions {
  readonly configPath: string;
  readonly name: string;
  /** Service names; default: every service in the file. */
  readonly services?: readonly string[];
  /** ISO date or date-time. */
  readonly expires?: string;
  /** CIDRs the client may knock from. */
  readonly allowFrom?: readonly string[];
  /** Two-factor: an SSH public key line (`ssh-ed25519 AAAA… comment`) that must sign every knock. */
  readonly sshKey?: string;
  /** The same, read from a .pub file. */
  readonly sshKeyFile?: string;
  /** sk keys: require the security key's touch (user presence). */
  readonly requireTouch?: boolean;
  readonly random?: (n: number) => Uint8Array;
  /** Write the profile to this new file (mode 0600) instead of stdout. */
  readonly out?: string;
  /** Clock for "already expired" (tests). */
  readonly now?: () => number;
}

export function addClient(opts: AddClientOptions, io: Io): string {
  if (!NAME_PATTERN.test(opts.name)) {
    throw new UsageError(
      `"${opts.name}" is not a valid client name`,
      'use up to 63 letters, digits, ".", "_" or "-"',
    );
  }
  const current = readCurrent(opts.configPath);
  const { config } = current;
  if (config.clients.has(opts.name)) {
    throw new CliError(
      'client-exists',
      `client "${opts.name}" already exists in ${current.file}`,
      `pick another name, or remove it first: spa-server remove-client ${opts.name}`,
    );
  }
  const defined = [...config.services.keys()];
  const services = opts.services && opts.services.length > 0 ? [...new Set(opts.services)] : defined;
  if (services.length === 0)
    throw new UsageError('no services are defined', `add one under [services] in ${current.file}`);
  for (const s of services) {
    if (!config.services.has(s))
      throw new UsageError(`unknown service "${s}"`, `defined: ${defined.join(', ') || 'none'}`);
  }
  const entry: Table = { key: encodeSecret('client', (opts.random ?? randomBytes)(SECRET_LENGTH)), services };
  if (opts.expires !== undefined) {
    const at = parseExpiry(opts.expires);
    if (at === undefined)
      throw new UsageError(
        `--expires ${opts.expires}: not a date`,
        'write 2027-06-30 or 2027-06-30T12:00:00Z',
      );
    if (at <= (opts.now ?? Date.now)()) throw new UsageError(`--expires ${opts.expires} is already past`);
    entry.expires = opts.expires.trim();
  }
  if (opts.allowFrom && opts.allowFrom.length > 0) {
    for (const c of opts.allowFrom) {
      if (!parseCidr(c.trim()))
        throw new UsageError(`--allow-from ${c}: not an address or CIDR`, 'e.g. 192.0.2.0/24');
    }
    entry.allowed_sources = opts.allowFrom.map((c) => c.trim());
  }
  const sshKey = sshKeyOption(opts);
  if (sshKey) {
    entry.ssh_key = formatAuthorizedKey(sshKey);
    if (opts.requireTouch) entry.require_touch = true;
  } else if (opts.requireTouch) {
    throw new UsageError('--require-touch needs --ssh-key or --ssh-key-file (an sk-… key)');
  }
  // Create the --out file first: if it exists, fail before the client is added.
  const file = opts.out !== undefined ? createProfileFile(opts.out) : undefined;
  let uri: string;
  try {
    const next = commitEdit(current, addClientText(current.text, current.file, opts.name, entry), io);
    uri = clientProfileUri(next, opts.name);
  } catch (e) {
    file?.discard();
    throw e;
  }
  emitProfile(uri, file, io);
  io.err(`added client "${opts.name}" (services: ${services.join(', ')}) to ${current.file}`);
  // The profile holds the client's key: print it once (stdout or --out), never into stderr/journal too.
  io.err(
    file
      ? `wrote the profile to ${file.path} (mode 0600); give it to the client over a safe channel; it imports it with: spa-client import - < ${basename(file.path)}`
      : 'give the spa:// line on stdout to the client, over a safe channel; it imports it with: spa-client import -',
  );
  if (sshKey) {
    io.err(
      `every knock of "${opts.name}" must be signed by ${sshKey.type} ${sshFingerprint(sshKey.blob)} through ssh-agent` +
        (config.sequence ? '; one-time sequences are off for it (they carry no signature)' : ''),
    );
  }
  io.err(RELOAD_HINT);
  return uri;
}

/** --ssh-key / --ssh-key-file: one of the four key types a knock can carry, or a UsageError saying why not. */
function sshKeyOption(opts: AddClientOptions): SshPublicKey | undefined {
  if (opts.sshKey !== undefined && opts.sshKeyFile !== undefined)
    throw new UsageError('give --ssh-key or --ssh-key-file, not both');
  let text = opts.sshKey;
  const from = opts.sshKeyFile !== undefined ? `--ssh-key-file ${opts.sshKeyFile}` : '--ssh-key';
  if (opts.sshKeyFile !== undefined) {
    try {
      text = readFileSync(opts.sshKeyFile, 'utf8');
    } catch (e) {
      throw new UsageError(
        `${from}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
        'give the public key file, e.g. ~/.ssh/id_ed25519.pub',
      );
    }
    if (/PRIVATE KEY/.test(text))
      throw new UsageError(`${from}: that is a private key`, 'give the .pub file beside it');
    text = text.split('\n').find((l) => l.trim() !== '' && !l.startsWith('#')) ?? '';
  }
  if (text === undefined) return undefined;
  const parsed = parseAuthorizedKey(text);
  if (!parsed.ok)
    throw new UsageError(
      `${from}: ${parsed.detail}`,
      parsed.problem === 'rsa' || parsed.problem === 'type'
        ? 'supported: ssh-ed25519, sk-ssh-ed25519@openssh.com, ecdsa-sha2-nistp256, sk-ecdsa-sha2-nistp256@openssh.com; make one with `ssh-keygen -t ed25519` (or `-t ed25519-sk` for a security key)'
        : 'give one line of a .pub file: "ssh-ed25519 AAAA… comment"',
    );
  if (opts.requireTouch && !isSkType(parsed.key.type))
    throw new UsageError(
      `--require-touch: ${parsed.key.type} has no touch`,
      'it applies to sk-… (security key) types',
    );
  return parsed.key;
}
