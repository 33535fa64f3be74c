/** Thin wrappers around iproute2's `ip`: async for normal use, sync for `process.on('exit')`. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const CANDIDATES = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'];
export const IP_BIN = CANDIDATES.find((p) => existsSync(p)) ?? 'ip';
const NETNS_DIR = '/run/netns';
const DEFAULT_TIMEOUT_MS = 10_000;

/** An `ip` command failed; `code` stays `ip-failed` (the lab's error code for the same thing). */
export class NetnsError extends Error {
  readonly code = 'ip-failed';
  override readonly name = 'NetnsError';
}

export interface IpResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runIp(
  args: readonly string[],
  input?: string,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<IpResult> {
  return new Promise((resolve) => {
    const child = spawn(IP_BIN, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      stderr += `\n[netns] ip ${args.join(' ')}: killed after ${timeoutMs} ms`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      stderr += String(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

export function runIpSync(args: readonly string[], input?: string): IpResult {
  const r = spawnSync(IP_BIN, args, { input: input ?? '', encoding: 'utf8', timeout: DEFAULT_TIMEOUT_MS });
  return {
    code: r.status,
    stdout: r.stdout ?? '',
    stderr: (r.stderr ?? '') + (r.error ? String(r.error) : ''),
  };
}

/** Runs `ip [-n ns] -batch -` with the given command lines; throws with the failing output. */
export async function ipBatch(ns: string | undefined, lines: readonly string[]): Promise<void> {
  const args = ns ? ['-n', ns, '-batch', '-'] : ['-batch', '-'];
  const r = await runIp(args, lines.join('\n') + '\n');
  if (r.code !== 0) {
    throw new NetnsError(
      `ip ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}\n  commands:\n    ${lines.join('\n    ')}`,
    );
  }
}

export function ipBatchSync(ns: string | undefined, lines: readonly string[]): void {
  const args = ns ? ['-n', ns, '-batch', '-'] : ['-batch', '-'];
  const r = runIpSync(args, lines.join('\n') + '\n');
  if (r.code !== 0) {
    throw new NetnsError(
      `ip ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}\n  commands:\n    ${lines.join('\n    ')}`,
    );
  }
}

/** Names of all named network namespaces (`ip netns list` without spawning a process). */
export function listNamespaces(): string[] {
  try {
    return readdirSync(NETNS_DIR).sort();
  } catch {
    return [];
  }
}

function parsePids(text: string): number[] {
  return text
    .split('\n')
    .map((l) => Number.parseInt(l.trim(), 10))
    .filter((n) => Number.isSafeInteger(n) && n > 0);
}

export async function namespacePids(ns: string): Promise<number[]> {
  const r = await runIp(['netns', 'pids', ns]);
  return r.code === 0 ? parsePids(r.stdout) : [];
}

export function namespacePidsSync(ns: string): number[] {
  const r = runIpSync(['netns', 'pids', ns]);
  return r.code === 0 ? parsePids(r.stdout) : [];
}

export function killQuietly(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const delLines = (names: readonly string[]) => names.map((n) => `netns del ${n}`);

/** Kills every process still inside the namespaces, then deletes them (missing ones are ignored). */
export async function destroyNamespaces(names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const pids = (await Promise.all(names.map(namespacePids))).flat();
  for (const pid of pids) killQuietly(pid);
  await runIp(['-force', '-batch', '-'], delLines(names).join('\n') + '\n');
}

export function destroyNamespacesSync(names: readonly string[]): void {
  if (names.length === 0) return;
  for (const ns of names) for (const pid of namespacePidsSync(ns)) killQuietly(pid);
  runIpSync(['-force', '-batch', '-'], delLines(names).join('\n') + '\n');
}
