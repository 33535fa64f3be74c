/**
 * `spa-server reload`: check the config, then SIGHUP the running daemon (found through its
 * pid file `state_dir/spa-server.pid`, which the daemon writes). With `--trial 120s` it first
 * writes the trial request (trial/request-file.ts), which the daemon reads and deletes on that
 * reload: the ports this reload newly guards are then on trial.
 */
import { loadConfig } from '../config/index.js';
import { requestReload } from '../daemon/index.js';
import type { Io } from './io.js';
import { checkTrialOption, parseTrialOption } from './trial-option.js';

export function reload(opts: { configPath: string; trial?: string }, io: Io): number {
  const trialSeconds = opts.trial === undefined ? undefined : parseTrialOption(opts.trial);
  const config = loadConfig(opts.configPath); // a config the daemon would refuse is refused here first
  if (trialSeconds !== undefined) checkTrialOption(config);
  const pid = requestReload(config, trialSeconds);
  io.err(`sent SIGHUP to spa-server (pid ${pid}); it reloads ${config.path}`);
  if (trialSeconds !== undefined)
    io.err(
      `newly guarded ports are on trial for ${trialSeconds} s: knock and connect from a client, then look for "trial confirmed" in the log (journalctl -u spa-server -f)`,
    );
  return pid;
}
