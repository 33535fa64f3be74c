/**
 * The state directory and the files the daemon writes in it, as root. Whoever can write the
 * directory can plant a symlink named like one of our files and have root write through it
 * (issue 12, item 9), so: the directory must be owned by the user the daemon runs as (root)
 * and not writable by group or other, or `run` refuses and `check` fails, with the fix; and
 * every file is opened with O_NOFOLLOW, new files also with O_EXCL after unlinking what was
 * there (unlink removes a symlink itself, never its target).
 */
import { closeSync, constants, lstatSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { DaemonError } from './errors.js';

/** What is wrong with `dir` as a state directory and the command that fixes it, or undefined. */
export function stateDirProblem(
  dir: string,
  uid: number = process.geteuid?.() ?? 0,
): { problem: string; fix: string } | undefined {
  const who = uid === 0 ? 'root' : `uid ${uid}`;
  const owner = uid === 0 ? 'root:root' : String(uid);
  const fix = `chown ${owner} ${dir} && chmod 700 ${dir}`;
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(dir);
  } catch (e) {
    return { problem: `cannot be read: ${(e as Error).message}`, fix: `mkdir -m 700 -p ${dir}` };
  }
  if (st.isSymbolicLink())
    return {
      problem: 'is a symlink (a state directory is never followed)',
      fix: 'set [server] state_dir to the real directory',
    };
  if (!st.isDirectory()) return { problem: 'is not a directory', fix: 'fix [server] state_dir' };
  if (st.uid !== uid)
    return { problem: `is owned by uid ${st.uid}, not ${who}: its owner could plant symlinks`, fix };
  if ((st.mode & 0o022) !== 0)
    return {
      problem: `is writable by group or other (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')})`,
      fix,
    };
  return undefined;
}

/** Throws DaemonError('state-dir-unsafe') unless `dir` is safe for root to write in. */
export function assertSafeStateDir(dir: string): void {
  const p = stateDirProblem(dir);
  if (p) throw new DaemonError('state-dir-unsafe', `state directory ${dir} ${p.problem}`, p.fix);
}

/**
 * Writes `text` to a new file at `path`: whatever is there (a stale file, a planted symlink)
 * is unlinked first, then the file is created with O_CREAT|O_EXCL|O_NOFOLLOW, so a symlink
 * put back in between makes the open fail instead of being followed.
 */
export function writeNewFile(path: string, text: string, mode = 0o600): void {
  rmSync(path, { force: true });
  const fd = openSync(
    path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    mode,
  );
  try {
    const bytes = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
  } finally {
    closeSync(fd);
  }
}

/** The text of `path`, never through a symlink (ELOOP is thrown); undefined if it does not exist. */
export function readNoFollow(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
