/**
 * The profile file: `~/.config/spa/client.toml` (or `$SPA_CLIENT_CONFIG`, or `--config`).
 * One table per profile under `[profiles.NAME]`: the `uri` (which holds the keys and is what
 * counts) plus fields written for people to read. `host` may be edited to reach the server
 * under another name or address. The file holds secrets: mode 0600, directory 0700, and a
 * file that group or others may read is refused.
 */
import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  type ClientProfile,
  PROFILE_HOST_PATTERN,
  PROFILE_NAME_PATTERN,
  parseProfile,
  SpaError,
} from '@spa/shared';
import { parse, stringify, TomlError } from 'smol-toml';
import { ClientError, usage } from './errors.js';

export interface StoredProfile {
  /** The name the user types (`ssh@NAME`); defaults to the server's own name. */
  readonly name: string;
  readonly uri: string;
  /** Parsed from `uri`, with the file's `host` applied if it was edited. */
  readonly profile: ClientProfile;
}

export interface ProfileFile {
  readonly path: string;
  readonly profiles: readonly StoredProfile[];
}

/** Same rule as profile names in the URI (shared/profile.ts). */
export const PROFILE_NAME = PROFILE_NAME_PATTERN;
const HOST = PROFILE_HOST_PATTERN;
const isWindows = process.platform === 'win32';

const HEADER = `# spa-client profiles, written by \`spa-client import\`. Keep this file private (chmod 600).
# \`uri\` holds the keys and is what counts; the other fields are there to read, except \`host\`,
# which you may edit to reach the server under another name or address.

`;

/** `--config`, else `$SPA_CLIENT_CONFIG`, else `$XDG_CONFIG_HOME/spa/client.toml` (~/.config). */
export function configPath(
  flag?: string,
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): string {
  if (flag) return resolve(flag);
  if (env.SPA_CLIENT_CONFIG) return resolve(env.SPA_CLIENT_CONFIG);
  if (isWindows && env.APPDATA) return join(env.APPDATA, 'spa', 'client.toml');
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'spa', 'client.toml');
}

function configError(path: string, message: string, hint: string): ClientError {
  return new ClientError('config', `${path}: ${message}`, hint);
}

/** Refuse a file that group or others can read or write: it holds the keys. */
function checkPermissions(path: string): void {
  const st = statSync(path);
  if (!st.isFile()) throw configError(path, 'is not a regular file', 'point --config at a file');
  if (isWindows) return;
  if ((st.mode & 0o077) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    throw new ClientError(
      'permissions',
      `${path} is accessible by group or others (mode ${mode}) but holds secret keys; refusing to use it`,
      `run: chmod 600 ${path}`,
    );
  }
}

type Table = Record<string, unknown>;
const isTable = (v: unknown): v is Table => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Read the document, or an empty one if the file does not exist. */
function readDocument(path: string): Table {
  let text: string;
  try {
    checkPermissions(path);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    if (e instanceof ClientError) throw e;
    throw configError(path, `cannot read (${(e as Error).message})`, 'check the path and its permissions');
  }
  try {
    return parse(text) as Table;
  } catch (e) {
    if (!(e instanceof TomlError)) throw e;
    // The message's code block would show the line, and a line may hold a key: leave it out.
    const what = e.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
    throw configError(
      path,
      `not valid TOML at line ${e.line}, column ${e.column}: ${what}`,
      'fix that line, or delete the file and import the profiles again',
    );
  }
}

function profilesTable(path: string, doc: Table): Table {
  const t = doc.profiles;
  if (t === undefined) return {};
  if (!isTable(t)) throw configError(path, '"profiles" must be a table', 'use [profiles.NAME] sections');
  return t;
}

function toStored(path: string, name: string, entry: unknown): StoredProfile {
  const key = `profiles.${name}`;
  const hint = `import it again: spa-client import - --name ${name} --force < PROFILE_FILE`;
  if (!PROFILE_NAME.test(name)) throw configError(path, `[${key}]: not a valid profile name`, 'rename it');
  if (!isTable(entry)) throw configError(path, `${key} must be a table`, hint);
  const uri = entry.uri;
  if (uri === undefined) throw configError(path, `${key}.uri is missing`, hint);
  if (typeof uri !== 'string') throw configError(path, `${key}.uri must be a string`, hint);
  let profile: ClientProfile;
  try {
    profile = parseProfile(uri);
  } catch (e) {
    if (e instanceof SpaError) throw configError(path, `${key}.uri: ${e.message}`, hint);
    throw e;
  }
  const host = entry.host;
  if (host !== undefined) {
    if (typeof host !== 'string' || !HOST.test(host)) {
      throw configError(path, `${key}.host must be a host name or address`, 'fix it or remove the line');
    }
    if (host !== profile.host) profile = { ...profile, host };
  }
  return { name, uri, profile };
}

export function readProfiles(path: string): ProfileFile {
  const doc = readDocument(path);
  const table = profilesTable(path, doc);
  return { path, profiles: Object.entries(table).map(([name, entry]) => toStored(path, name, entry)) };
}

/** The readable fields written next to the uri. */
function describe(p: ClientProfile): Table {
  const knock = p.knock.mode === 'fixed' ? `fixed ${p.knock.port}` : `rotating ${p.knock.range.join('-')}`;
  return {
    server: p.server,
    client: p.client,
    host: p.host,
    knock,
    step: p.stepSeconds,
    services: Object.fromEntries(Object.entries(p.services).map(([n, s]) => [n, `${s.port}/${s.protocol}`])),
    ...(p.sequence
      ? { sequence: `${p.sequence.length} ${p.sequence.protocol} knocks in ${p.sequence.range.join('-')}` }
      : {}),
    ...(p.sshKey ? { ssh_key: `${p.sshKey} (must sign every knock, through ssh-agent)` } : {}),
  };
}

function writeDocument(path: string, doc: Table): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, HEADER + stringify(doc) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (!isWindows) chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw configError(
      path,
      `cannot write (${code})`,
      'check the directory and its permissions, or use --config',
    );
  }
}

export interface ImportOptions {
  readonly name?: string;
  /** Replace a profile of the same name. */
  readonly force?: boolean;
}

export function importProfile(path: string, uri: string, opts: ImportOptions = {}): StoredProfile {
  let profile: ClientProfile;
  try {
    profile = parseProfile(uri);
  } catch (e) {
    if (e instanceof SpaError) throw usage(e.message, e.hint);
    throw e;
  }
  const name = opts.name ?? profile.server;
  if (!PROFILE_NAME.test(name)) {
    throw usage(
      `profile name "${name}": use up to 63 letters, digits, . _ -, starting with a letter or digit`,
    );
  }
  const doc = readDocument(path);
  const table = profilesTable(path, doc);
  if (table[name] !== undefined && !opts.force) {
    throw new ClientError(
      'exists',
      `a profile named "${name}" already exists in ${path}`,
      `pick another name with --name, or replace it with --force`,
    );
  }
  const clean = uri.replace(/\s+/g, '');
  writeDocument(path, { ...doc, profiles: { ...table, [name]: { uri: clean, ...describe(profile) } } });
  return { name, uri: clean, profile };
}

export function removeProfile(path: string, name: string): void {
  const doc = readDocument(path);
  const table = profilesTable(path, doc);
  if (table[name] === undefined) {
    const names = Object.keys(table);
    throw new ClientError(
      'no-profile',
      `no profile named "${name}" in ${path}`,
      names.length ? `profiles: ${names.join(', ')}` : 'the file has no profiles',
    );
  }
  const { [name]: _removed, ...rest } = table;
  writeDocument(path, { ...doc, profiles: rest });
}
