/**
 * `spa-server add-client NAME`: a fresh client key, stored in the config file; prints the
 * client's one-line spa:// profile on stdout and nothing else there (hints go to stderr),
 * so `spa-server add-client bob > bob.profile` works; `--out bob.profile` writes it to a new
 * file at mode 0600 instead (_profile-out.ts).
 */
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { encodeSecret, parseCidr, SECRET_LENGTH } from '@spa/shared';
import { parseExpiry } from '../config/_clients.js';
import type { Table } from '../config/_fields.js';
import { NAME_PATTERN } from '../config/_sections.js';
import { addClientText } from '../config/edit.js';
import { clientProfileUri } from '../config/profile.js';
import { commitEdit, RELOAD_HINT, readCurrent } from './_edit-config.js';
import { CliError, UsageError } from './_errors.js';
import type { Io } from './_io.js';
import { createProfileFile, emitProfile } from './_profile-out.js';

export interface AddClientOptions {
  readonly configPath: string;
  readonly name: string;
  /** Service names; default: every service in the file. */
  readonly services?: readonly string[];
  /** ISO date or date-time. */
  readonly expires?: string;
  /** CIDRs the client may knock from. */
  readonly allowFrom?: readonly string[];
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
  io.err(RELOAD_HINT);
  return uri;
}
