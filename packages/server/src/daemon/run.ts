/**
 * `runDaemon`: what `spa-server run` calls. Maps signals onto the daemon: SIGHUP reloads,
 * SIGUSR1 logs the counters, SIGTERM/SIGINT stop it cleanly; the promise resolves once
 * stopped. A bad configuration at start rejects with its ConfigError before the firewall is
 * touched.
 *
 * The handlers go in before anything slow (issue 12, item 2): a SIGHUP while the daemon
 * starts is queued and applied once it is ready; a SIGTERM/SIGINT then stops it as soon as
 * it has started (never half-way). Signals the bin held before this module loaded
 * (signal-hold.ts) are taken over the same way. systemd (Type=notify) hears READY=1 once it
 * listens, RELOADING=1 + MONOTONIC_USEC … READY=1 around each reload and STOPPING=1 (notify.ts).
 */
import type { Logger } from 'pino';
import { Daemon, type DaemonTestSeams } from './daemon.js';
import type { DaemonDeps } from './deps.js';
import { type Notifier, systemdNotifier } from './notify.js';
import { releaseHeldSignals } from './signal-hold.js';

export { KnockPipeline } from '../pipeline/index.js';
export { Daemon } from './daemon.js';
export type { Clock, DaemonDeps, SignalSource } from './deps.js';

export interface RunDaemonOptions {
  readonly configPath: string;
  readonly logger: Logger;
  readonly deps?: Partial<DaemonDeps>;
  /** `run --trial`: the guard undoes itself unless confirmed within this many seconds (trial/). */
  readonly trialSeconds?: number;
  /** Where readiness goes; default systemd's $NOTIFY_SOCKET (a no-op without it). */
  readonly notifier?: Notifier;
  readonly testSeams?: RunDaemonTestSeams;
}

/** Only tests set these; the bin runs with the defaults. */
export interface RunDaemonTestSeams extends DaemonTestSeams {
  /** Called once the daemon listens (tests use it to reach counters and the pipeline). */
  readonly onReady?: (daemon: Daemon) => void;
  /** Signals that arrived before the handlers; default: what the bin held (process signals only). */
  readonly heldSignals?: readonly NodeJS.Signals[];
}

export async function runDaemon(opts: RunDaemonOptions): Promise<void> {
  const signals = opts.deps?.signals ?? process;
  const log = opts.logger.child({ component: 'daemon' });
  const notifier = opts.notifier ?? systemdNotifier((msg, fields) => log.warn(fields, msg));
  let daemon: Daemon | undefined;
  let reloadQueued = false;
  let stopAsked = false;
  let settle!: { resolve: () => void; reject: (e: unknown) => void };
  const stopped = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });

  // One reload at a time, each framed by RELOADING=1 … READY=1; SIGHUPs during one make one more.
  let reloading = false;
  let again = false;
  const reload = (d: Daemon) => {
    if (reloading) {
      again = true;
      return;
    }
    reloading = true;
    void (async () => {
      do {
        again = false;
        notifier.reloading();
        await d.reload().catch(() => false);
        if (!stopAsked) notifier.ready();
      } while (again && !stopAsked);
      reloading = false;
    })();
  };
  const stop = (d: Daemon) => {
    log.info('stopping');
    notifier.stopping();
    uninstall();
    d.stop().then(settle.resolve, settle.reject);
  };
  const onHup = () => {
    if (daemon) reload(daemon);
    else if (!reloadQueued) {
      reloadQueued = true;
      log.info('SIGHUP while starting: the reload is queued until ready');
    }
  };
  const onUsr1 = () => daemon?.report('signal');
  const onStop = () => {
    if (stopAsked) return;
    stopAsked = true;
    if (daemon) stop(daemon);
    else log.info('stop asked while starting: stopping once started');
  };
  const handlers: Record<string, () => void> = {
    SIGHUP: onHup,
    SIGUSR1: onUsr1,
    SIGTERM: onStop,
    SIGINT: onStop,
  };
  const uninstall = () => {
    for (const [s, h] of Object.entries(handlers)) signals.off(s as NodeJS.Signals, h);
  };
  for (const [s, h] of Object.entries(handlers)) signals.on(s as NodeJS.Signals, h);
  const held = opts.testSeams?.heldSignals ?? (signals === process ? releaseHeldSignals() : []);
  for (const s of held) handlers[s]?.();

  try {
    daemon = await Daemon.start(opts);
  } catch (err) {
    uninstall();
    throw err;
  }
  if (stopAsked) stop(daemon);
  else {
    notifier.ready();
    opts.testSeams?.onReady?.(daemon);
    if (reloadQueued) reload(daemon);
  }
  await stopped;
}
