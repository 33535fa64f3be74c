/**
 * Atomic writes of the config file: a temp file in the same directory (mode 0600), fsync,
 * then rename over the old file (or link, when the file must not exist yet), then fsync the
 * directory. A reader sees the old file or the new one, never a mix; a crash leaves at most
 * a stray `.server.toml.*.tmp`.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fchmodSync,
  fchownSync,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError } from './errors.js';

export interface WriteOptions {
  /** Replace an existing file (default true). false: fail with `config-exists` if it exists. */
  readonly overwrite?: boolean;
  /**
   * The text the file had when it was read: if it changed meanwhile (another add-client),
   * fail rather than lose that change.
   */
  readonly expect?: string;
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function writeConfig(path: string, text: string, opts: WriteOptions = {}): void {
  const file = resolve(path);
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let old: { uid: number; gid: number } | undefined;
  try {
    old = statSync(file);
  } catch {
    old = undefined;
  }
  if (old && opts.overwrite === false) {
    throw new ConfigError(
      'config-exists',
      file,
      '',
      'already exists',
      'use --force to replace it; that makes new secrets',
    );
  }
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o600);
    fchmodSync(fd, 0o600); // whatever the umask
    // Root editing a file owned by the admin user keeps it theirs.
    if (old && process.getuid?.() === 0) fchownSync(fd, old.uid, old.gid);
    const bytes = Buffer.from(text, 'utf8');
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    if (opts.expect !== undefined && readFileSync(file, 'utf8') !== opts.expect) {
      throw new ConfigError(
        'config-write',
        file,
        '',
        'changed while this command was editing it',
        'run the command again',
      );
    }
    if (opts.overwrite === false) {
      linkSync(tmp, file); // fails if the file appeared meanwhile
      unlinkSync(tmp);
    } else {
      renameSync(tmp, file);
    }
    fsyncDir(dir);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already renamed or never created
    }
    if (e instanceof ConfigError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new ConfigError(
        'config-exists',
        file,
        '',
        'already exists',
        'use --force to replace it; that makes new secrets',
      );
    }
    throw new ConfigError(
      'config-write',
      file,
      '',
      `cannot write: ${(e as Error).message}`,
      `check that ${dir} is writable`,
    );
  }
}
