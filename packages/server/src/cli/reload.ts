/**
 * `spa-server reload`: check the config, then SIGHUP the running daemon (found through its
 * pid file `state_dir/spa-server.pid`, which the daemon writes). With `--trial 120s` it first
 * writes `state_dir/reload-trial.json` (daemon/trial.ts), which the daemon reads and deletes on
 * that reload: the ports this reload newly guards are then on trial.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config/load.js';
import { PID_FILE_NAME } from '../config/schema.js';
import { formatTrialRequest, TRIAL_REQUEST_FILE } from '../trial/trial.js';
import { CliError } from './errors.js';
import type { Io } from './io.js';
import { checkTrialConfig, parseTrialOption } from './run.js';

export function reload(opts: { configPath: string; trial?: string }, io: Io): number {
  const trialSeconds = opts.trial === undefined ? undefined : parseTrialOption(opts.trial);
  const config = loadConfig(opts.configPath); // a config the daemon would refuse is refused here first
  if (trialSeconds !== undefined) checkTrialConfig(config);
  const pidFile = join(config.stateDir, PID_FILE_NAME);
  let text: string;
  try {
    text = readFileSync(pidFile, 'utf8');
  } catch {
    throw new CliError(
      'not-running',
      `no pid file ${pidFile}: is the daemon running?`,
      'start it: systemctl start spa-server',
    );
  }
  const pid = Number(text.trim());
  if (!Number.isSafeInteger(pid) || pid <= 1)
    throw new CliError('bad-pid-file', `${pidFile} does not hold a pid`, `remove ${pidFile}`);
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
    if (!/node|spa-server/.test(cmdline)) {
      throw new CliError(
        'not-running',
        `pid ${pid} from ${pidFile} is not spa-server`,
        `remove ${pidFile}; is the daemon running?`,
      );
    }
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(
      'not-running',
      `no process ${pid} (stale ${pidFile})`,
      'start it: systemctl start spa-server',
    );
  }
  const request = join(config.stateDir, TRIAL_REQUEST_FILE);
  if (trialSeconds !== undefined) writeFileSync(request, formatTrialRequest(trialSeconds), { mode: 0o600 });
  try {
    process.kill(pid, 'SIGHUP');
  } catch (e) {
    if (trialSeconds !== undefined) rmSync(request, { force: true });
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(
      'signal-failed',
      `cannot signal pid ${pid}: ${code === 'EPERM' ? 'permission denied' : (e as Error).message}`,
      code === 'EPERM' ? 'run as root (sudo spa-server reload), or systemctl reload spa-server' : '',
    );
  }
  io.err(`sent SIGHUP to spa-server (pid ${pid}); it reloads ${config.path}`);
  if (trialSeconds !== undefined)
    io.err(
      `newly guarded ports are on trial for ${trialSeconds} s: knock and connect from a client, then look for "trial confirmed" in the log (journalctl -u spa-server -f)`,
    );
  return pid;
}
