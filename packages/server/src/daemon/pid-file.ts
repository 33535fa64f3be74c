/**
 * The pid file `state_dir/spa-server.pid`: written once the daemon listens, removed on a
 * clean stop. A file left by a live spa-server process refuses a second daemon on the same
 * state directory (two daemons would each keep their own replay memory); a stale one (the
 * process is gone, or the pid now belongs to something that is not node) is replaced.
 * Never read or written through a symlink (state-dir.ts).
 */
import { lstatSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PID_FILE_NAME } from '../config/index.js';
import { readNoFollow, writeNewFile } from '../replay/index.js';
import { DaemonError } from './errors.js';

export function pidFilePath(stateDir: string): string {
  return join(stateDir, PID_FILE_NAME);
}

/**
 * What the pid file of `stateDir` says: no file, not a pid, a live spa-server (or at least a
 * node process), a pid whose process is gone, or one that now belongs to something else.
 */
export type PidFileState =
  | { readonly state: 'none' | 'malformed' }
  | { readonly state: 'live' | 'gone' | 'foreign'; readonly pid: number };

export function readPidFile(stateDir: string): PidFileState {
  let text: string | undefined;
  try {
    text = readNoFollow(pidFilePath(stateDir)); // a planted symlink (ELOOP) is not a pid file
  } catch {
    return { state: 'none' };
  }
  if (text === undefined) return { state: 'none' };
  const pid = Number(text.trim());
  if (!Number.isSafeInteger(pid) || pid <= 1) return { state: 'malformed' };
  if (!isAlive(pid)) return { state: 'gone', pid };
  return { state: looksLikeNode(pid) ? 'live' : 'foreign', pid };
}

/** Throws DaemonError('already-running') if another live daemon owns the state directory. */
export function checkPidFile(stateDir: string, ownPid = process.pid): void {
  const path = pidFilePath(stateDir);
  const found = readPidFile(stateDir);
  if (found.state !== 'live' || found.pid === ownPid) return;
  const { pid } = found;
  throw new DaemonError(
    'already-running',
    `another spa-server (pid ${pid}) is running with state directory ${stateDir}`,
    `stop it first, or remove ${path} if that process is not spa-server`,
  );
}

export function writePidFile(stateDir: string, pid = process.pid): void {
  writeNewFile(pidFilePath(stateDir), `${pid}\n`, 0o644);
}

export function removePidFile(stateDir: string): void {
  rmSync(pidFilePath(stateDir), { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function looksLikeNode(pid: number): boolean {
  try {
    return /node|spa-server/.test(readFileSync(`/proc/${pid}/cmdline`, 'latin1'));
  } catch {
    return true; // no /proc: trust the pid
  }
}

/** What `status` says about the daemon: from the pid file (written once it listens) and /proc. */
export interface DaemonState {
  readonly running: boolean;
  readonly pid: number | null;
  /** When it started listening (the pid file's time), ISO; null when not running. */
  readonly since: string | null;
  readonly uptimeSeconds: number | null;
  /** Why it counts as not running; '' when running. */
  readonly reason: string;
}

export function daemonState(stateDir: string, nowMs = Date.now()): DaemonState {
  const path = pidFilePath(stateDir);
  const down = (pid: number | null, reason: string): DaemonState => ({
    running: false,
    pid,
    since: null,
    uptimeSeconds: null,
    reason,
  });
  const found = readPidFile(stateDir); // never through a symlink
  if (!('pid' in found))
    return down(null, found.state === 'none' ? `no pid file ${path}` : `${path} holds no pid`);
  const { pid } = found;
  if (found.state === 'gone') return down(pid, `pid ${pid} from ${path} is gone (stopped uncleanly?)`);
  if (found.state === 'foreign') return down(pid, `pid ${pid} from ${path} is another program now`);
  let mtimeMs: number;
  try {
    mtimeMs = lstatSync(path).mtimeMs;
  } catch {
    return down(pid, `${path} vanished while reading it`);
  }
  return {
    running: true,
    pid,
    since: new Date(mtimeMs).toISOString(),
    uptimeSeconds: Math.max(0, Math.floor((nowMs - mtimeMs) / 1000)),
    reason: '',
  };
}
