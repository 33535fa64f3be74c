/**
 * Making sure no namespace outlives its owner:
 * - every live namespace set registers a synchronous teardown that runs on `exit` (also after an uncaught
 *   exception, and when a test runner's child process ends) and on SIGINT/SIGTERM/SIGHUP;
 * - `cleanLeftovers()` deletes namespaces of earlier runs whose owner pid (encoded in the name) is
 *   dead, e.g. after a SIGKILL, killing any process still inside them first.
 */
import { destroyNamespaces, destroyNamespacesSync, isAlive, killQuietly, listNamespaces } from './ip.js';
import { parseNsName } from './names.js';

export interface LiveNamespaces {
  runId: string;
  namespaces: readonly string[];
  /** Pids of tracked processes that are still running. */
  pids(): number[];
}

const live = new Set<LiveNamespaces>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let installed = false;

export function register(set: LiveNamespaces): void {
  installHandlersOnce();
  live.add(set);
}

export function unregister(set: LiveNamespaces): void {
  live.delete(set);
}

/** Synchronous, for `process.on('exit')` and signal handlers: SIGKILL everything, delete namespaces. */
export function teardownAllSync(): void {
  for (const set of [...live]) {
    for (const pid of set.pids()) killQuietly(pid);
    destroyNamespacesSync(set.namespaces);
    live.delete(set);
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
  /** Namespaces left alone because their owner is still running. */
  kept: string[];
}

function leftovers(): LeftoverReport {
  const removed: string[] = [];
  const kept: string[] = [];
  for (const name of listNamespaces()) {
    const parsed = parseNsName(name);
    if (!parsed) continue;
    if (parsed.ownerPid === process.pid || isAlive(parsed.ownerPid)) kept.push(name);
    else removed.push(name);
  }
  return { removed, kept };
}

/** Deletes `spal-*` namespaces whose owner process no longer exists. Never touches live owners. */
export async function cleanLeftovers(): Promise<LeftoverReport> {
  const found = leftovers();
  await destroyNamespaces(found.removed);
  return found;
}

export function cleanLeftoversSync(): LeftoverReport {
  const found = leftovers();
  destroyNamespacesSync(found.removed);
  return found;
}
