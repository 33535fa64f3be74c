/**
 * Where a client's spa:// profile goes. It holds the client's key, so it must not land in a
 * file others can read: `--out FILE` creates FILE at mode 0600 (O_EXCL: never over an
 * existing file; O_NOFOLLOW: never through a symlink), and a shell redirect (`> bob.profile`,
 * which the shell creates 0644 under the usual umask) is tightened to 0600 when it is a new,
 * empty file of ours, or warned about otherwise.
 */
import { closeSync, constants, fchmodSync, fstatSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError } from './errors.js';
import type { Io } from './io.js';

export interface ProfileFile {
  readonly path: string;
  /** Write the profile line and close; the file was created 0600. */
  write(uri: string): void;
  /** Remove the (still empty) file again: the command failed before it had a profile. */
  discard(): void;
}

/** Create `path` for a profile before the client is added, so a name clash fails first. */
export function createProfileFile(path: string): ProfileFile {
  const file = resolve(path);
  let fd: number;
  try {
    fd = openSync(
      file,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'EEXIST'
        ? 'it already exists (or is a symlink)'
        : code === 'ELOOP'
          ? 'it is a symlink'
          : (e as Error).message;
    throw new CliError(
      'profile-out',
      `--out ${file}: cannot create it: ${why}`,
      'name a new file; the profile holds a key, so spa-server never writes over a file',
    );
  }
  fchmodSync(fd, 0o600); // the umask can only have narrowed it; make it exactly 0600
  return {
    path: file,
    write(uri) {
      try {
        writeSync(fd, `${uri}\n`);
      } finally {
        closeSync(fd);
      }
    },
    discard() {
      closeSync(fd);
      unlinkSync(file);
    },
  };
}

/**
 * If stdout (fd 1) is a regular file that others may read, make it 0600 when it is a fresh,
 * empty file owned by us (what `> bob.profile` just created), else say so. Returns a note for
 * stderr, or '' when stdout is a terminal, a pipe or already private.
 */
export function protectStdoutFile(fd = 1): string {
  let st: ReturnType<typeof fstatSync>;
  try {
    st = fstatSync(fd);
  } catch {
    return '';
  }
  if (!st.isFile() || (st.mode & 0o077) === 0) return '';
  const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
  const ours = typeof process.getuid !== 'function' || st.uid === process.getuid();
  if (st.size === 0 && ours) {
    try {
      fchmodSync(fd, 0o600);
      return `note: stdout is a file (was mode ${mode}); made it 0600 since the profile holds the client's key`;
    } catch {
      // fall through to the warning
    }
  }
  return `warning: stdout is a file others may read (mode ${mode}) and the profile holds the client's key: chmod 600 it, or use --out FILE next time`;
}

/** The profile line to `file` when given, else to stdout (made private first if it is a file). */
export function emitProfile(uri: string, file: ProfileFile | undefined, io: Io): void {
  if (file) {
    file.write(uri);
    return;
  }
  const note = io.protectOut?.() ?? '';
  if (note) io.err(note);
  io.out(uri);
}
