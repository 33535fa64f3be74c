/**
 * `runDaemon`: what `spa-server run` calls. Starts the daemon and maps signals onto it:
 * SIGHUP reloads, SIGUSR1 logs the counters, SIGTERM/SIGINT stop it cleanly; the promise
 * resolves once stopped. A bad configuration at start rejects with its ConfigError before
 * the firewall is touched.
 */
import type { Logger } from 'pino';
import { Daemon } from './daemon.js';
import type { DaemonDeps } from './deps.js';

export { KnockPipeline } from '../pipeline/index.js';
export { Daemon } from './daemon.js';
export type { Clock, DaemonDeps, SignalSource } from './deps.js';

export interface RunDaemonOptions {
  readonly configPath: string;
  readonly logger: Logger;
  readonly deps?: Partial<DaemonDeps>;
  /** Called once the daemon listens (tests use it to reach counters and the pipeline). */
  readonly onReady?: (daemon: Daemon) => void;
  /** Interval of the counter report (default 60 s). */
  readonly reportEveryMs?: number;
  /** `run --trial`: the guard undoes itself unless confirmed within this many seconds (daemon/trial.ts). */
  readonly trialSeconds?: number;
}

export async function runDaemon(opts: RunDaemonOptions): Promise<void> {
  const signals = opts.deps?.signals ?? process;
  const daemon = await Daemon.start(opts);
  const log = opts.logger.child({ component: 'daemon' });
  await new Promise<void>((resolve, reject) => {
    const onHup = () => void daemon.reload();
    const onUsr1 = () => daemon.report('signal');
    const onStop = () => {
      log.info('stopping');
      signals.off('SIGHUP', onHup);
      signals.off('SIGUSR1', onUsr1);
      signals.off('SIGTERM', onStop);
      signals.off('SIGINT', onStop);
      daemon.stop().then(resolve, reject);
    };
    signals.on('SIGHUP', onHup);
    signals.on('SIGUSR1', onUsr1);
    signals.on('SIGTERM', onStop);
    signals.on('SIGINT', onStop);
    opts.onReady?.(daemon);
  });
}
