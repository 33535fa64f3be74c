/**
 * The state directory and the files the daemon writes in it, as root. Whoever can write the
 * directory can plant a symlink named like one of our files and have root write through it
 * (issue 12, item 9), so: the directory must be owned by the user the daemon runs as (root)
 * and not writable by group or other, or `run` refuses and `check` fails, with the fix; and
 * every file is opened with O_NOFOLLOW, new ones with O_EXCL (replay/state-file.ts).
 */
import { lstatSync } from 'node:fs';
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
