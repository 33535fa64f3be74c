/**
 * Child processes for the firewall backends: always an argv array, never a shell. The spawn
 * function is injectable so unit tests can stand in for nft/ipset/iptables and record what
 * would have been sent, and so the namespace tests can run every command under a prefix such
 * as `ip netns exec NS`.
 */
import { spawn as nodeSpawn } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { FirewallError } from './firewall.js';

/** The part of `ChildProcess` the backends use. Emits 'close' (code, signal) once its pipes are drained, and 'error' (err). */
export interface ChildLike extends EventEmitter {
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  kill(signal?: NodeJS.Signals): boolean;
}

/**
 * Knobs production wiring never sets: only tests turn them, so they are kept apart from the
 * options the daemon uses. `argvPrefix` runs every command under a prefix, e.g.
 * `ip netns exec NS` (the backends' namespace tests).
 */
export interface CommandTestSeams {
  argvPrefix?: string[];
  /** Per-command answer timeout; default 5000 ms (nftables, ipset), 10000 ms (command). */
  timeoutMs?: number;
}

export type SpawnFn = (
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv },
) => ChildLike;

export const defaultSpawn: SpawnFn = (command, args, options) => {
  const child = nodeSpawn(command, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: options.env ?? process.env,
  });
  if (!child.stdin || !child.stdout || !child.stderr) throw new Error('spawn: stdio pipes missing');
  return child as ChildLike;
};

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `prefix + argv`, split into the command and its arguments; rejects an empty program name. */
export function withPrefix(prefix: readonly string[], argv: readonly string[]): [string, string[]] {
  const all = [...prefix, ...argv];
  const [command, ...args] = all;
  if (!command) throw new FirewallError('bad-argument', 'command: the program name is empty');
  return [command, args];
}

/** Runs one command to completion, feeding `input` on stdin. Never rejects for a non-zero exit. */
export function runOnce(
  spawn: SpawnFn,
  argv: readonly string[],
  opts: { prefix?: readonly string[]; input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const [command, args] = withPrefix(opts.prefix ?? [], argv); // a throw here rejects
    let child: ChildLike;
    try {
      child = spawn(command, args, opts.env ? { env: opts.env } : {});
    } catch (err) {
      reject(unavailable(command, err));
      return;
    }
    let stdout = '';
    let stderr = '';
    let done = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      fn();
    };
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(() =>
        reject(
          new FirewallError(
            'firewall-timeout',
            `${argv.join(' ')}: no answer in ${timeoutMs} ms`,
            'check that the command is not waiting for a lock or for input',
          ),
        ),
      );
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.stdin.on('error', () => {}); // EPIPE when the child exits early; the exit code tells.
    child.on('error', (err: Error) => finish(() => reject(unavailable(command, err))));
    // 'close' comes after the pipes have drained, unlike 'exit'.
    child.on('close', (code: number | null) => finish(() => resolve({ code, stdout, stderr })));
    child.stdin.end(opts.input ?? '');
  });
}

export function unavailable(command: string, err: unknown): FirewallError {
  const e = err as NodeJS.ErrnoException;
  return new FirewallError(
    'firewall-unavailable',
    `cannot run ${command}: ${e?.message ?? String(err)}`,
    e?.code === 'ENOENT' ? `install ${command} or choose another firewall backend` : '',
  );
}

/** Maps a failed command's stderr to a FirewallError with a useful hint. */
export function commandFailed(what: string, stderr: string, code: number | null = null): FirewallError {
  const text = stderr.trim() || `exit code ${code}`;
  if (/Operation not permitted|Permission denied/i.test(text)) {
    return new FirewallError(
      'firewall-permission',
      `${what}: ${text}`,
      'run spa-server as root or give it CAP_NET_ADMIN',
    );
  }
  return new FirewallError('firewall-failed', `${what}: ${text}`);
}
