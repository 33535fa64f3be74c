/**
 * Making sure no lab outlives its owner:
 * - every live lab registers a synchronous teardown that runs on `exit` (also after an uncaught
 *   exception, and when a test runner's child process ends) and on SIGINT/SIGTERM/SIGHUP;
 * - `cleanLeftovers()` deletes namespaces of earlier runs whose owner pid (encoded in the name) is
 *   dead, e.g. after a SIGKILL, killing any process still inside them first.
 */
import { destroyNamespaces, destroyNamespacesSync, isAlive, killQuietly, listNamespaces } from './ip.js';
import { parseNsName } from './names.js';

export interface LiveLab {
  runId: string;
  namespaces: readonly string[];
  /** Pids of tracked processes that are still running. */
  pids(): number[];
}

const live = new Set<LiveLab>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let installed = false;

export function registerLab(lab: LiveLab): void {
  installHandlersOnce();
  live.add(lab);
}

export function unregisterLab(lab: LiveLab): void {
  live.delete(lab);
}

/** Synchronous, for `process.on('exit')` and signal handlers: SIGKILL everything, delete namespaces. */
export function teardownAllSync(): void {
  for (const lab of [...live]) {
    for (const pid of lab.pids()) killQuietly(pid);
    destroyNamespacesSync(lab.namespaces);
    live.delete(lab);
  }
}

function installHandlersOnce(): void {
  if (installed) return;
  installed = true;
  process.on('exit', teardownAllSync);
  for (const sig of SIGNALS) {
    const onSignal = () => {
      teardownAllSync();
      // If nobody else handles the signal, restore the default action and re-raise it, so the
      // process still dies "by the signal" as its parent expects.
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, onSignal);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, onSignal);
  }
}

export interface LeftoverReport {
  /** Namespaces deleted because their owner pid is gone. */
  removed: string[];
  /** Lab namespaces left alone because their owner is still running. */
  kept: string[];
}

/** Deletes `spal-*` namespaces whose owner process no longer exists. Never touches live owners. */
export async function cleanLeftovers(): Promise<LeftoverReport> {
  const removed: string[] = [];
  const kept: string[] = [];
  for (const name of listNamespaces()) {
    const parsed = parseNsName(name);
    if (!parsed) continue;
    if (parsed.ownerPid === process.pid || isAlive(parsed.ownerPid)) kept.push(name);
    else removed.push(name);
  }
  await destroyNamespaces(removed);
  return { removed, kept };
}
