/**
 * The first thing `spa-server run` does (bin/spa-server.js, before it loads anything else):
 * catch SIGHUP, SIGTERM, SIGINT and SIGUSR1 and hold them, because a signal with no handler
 * kills a Node process (SIGHUP: exit 129) and loading the daemon takes a while. runDaemon
 * installs its own handlers first thing, then takes the held signals and applies them: a
 * reload once ready, a stop once started (issue 12, item 2). No imports: this module must load fast.
 */
export const HELD_SIGNALS: readonly NodeJS.Signals[] = ['SIGHUP', 'SIGTERM', 'SIGINT', 'SIGUSR1'];

let held: NodeJS.Signals[] | undefined;
const hold = (signal: NodeJS.Signals) => {
  held?.push(signal);
};

export function holdSignals(): void {
  if (held) return;
  held = [];
  for (const s of HELD_SIGNALS) process.on(s, hold);
}

/**
 * Stops holding and returns what arrived meanwhile, in order. Call it after installing the
 * real handlers, so there is no moment with none (removing the last listener of a signal
 * restores its default action).
 */
export function releaseHeldSignals(): NodeJS.Signals[] {
  const out = held ?? [];
  if (held) for (const s of HELD_SIGNALS) process.off(s, hold);
  held = undefined;
  return out;
}
