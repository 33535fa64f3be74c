/**
 * Opening files in the state directory as root, never through a symlink (issue 12, item 9):
 * whoever could write the directory could plant one named like our file and have root write
 * through it. New files: unlink what is there (unlink removes a symlink itself, never its
 * target), then O_CREAT|O_EXCL|O_NOFOLLOW, so a link put back in between fails the open.
 * Reads and appends: O_NOFOLLOW (a symlink fails with ELOOP). Used by the replay store, the pid
 * file and the trial request.
 */
import { closeSync, constants, openSync, readFileSync, rmSync, writeSync } from 'node:fs';

export const NEW_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
export const APPEND_NO_FOLLOW = constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW;

/** Writes `text` to a new file at `path`, replacing whatever was there without following it. */
export function writeNewFile(path: string, text: string, mode = 0o600): void {
  rmSync(path, { force: true });
  const fd = openSync(path, NEW_FILE, mode);
  try {
    const bytes = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
  } finally {
    closeSync(fd);
  }
}

/** The text of `path`, never through a symlink (ELOOP is thrown); undefined if it does not exist. */
export function readNoFollow(path: string, encoding: BufferEncoding = 'utf8'): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return readFileSync(fd, encoding);
  } finally {
    closeSync(fd);
  }
}
