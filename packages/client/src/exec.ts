/**
 * `open SERVICE -- CMD ARGS…`: run the command once the port is open, with the terminal
 * handed over (stdio inherited, no shell), and pass its exit status through.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { ClientError } from './errors.js';

const FORWARD = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

/** Resolves to the command's exit code (128 + signal number if a signal ended it). */
export function runCommand(argv: readonly string[]): Promise<number> {
  const [file, ...args] = argv;
  if (!file) return Promise.resolve(0);
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'inherit' });
    // The terminal signals the whole process group; the child decides, we stay to report.
    const forward = (sig: NodeJS.Signals) => {
      if (sig !== 'SIGINT' && sig !== 'SIGQUIT') child.kill(sig);
    };
    for (const s of FORWARD) process.on(s, forward);
    const cleanup = () => {
      for (const s of FORWARD) process.removeListener(s, forward);
    };
    child.once('error', (e: NodeJS.ErrnoException) => {
      cleanup();
      reject(
        new ClientError(
          'command',
          `cannot run "${file}" (${e.code ?? e.message})`,
          e.code === 'ENOENT' ? 'check the command name and your PATH' : '',
        ),
      );
    });
    child.once('exit', (code, signal) => {
      cleanup();
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}
