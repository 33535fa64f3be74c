/**
 * What the commands ask of the daemon, without talking to it: its pid (from the pid file), a
 * reload (SIGHUP, optionally with a trial request first), and whether a configuration can hold
 * a trial at all. The pid file and the trial request file are the whole interface.
 */
import type { ServerConfig } from '../config/index.js';
import { trialSupport } from '../firewall/index.js';
import { guardedPorts } from '../pipeline/index.js';
import { checkTrialPorts, removeTrialRequest, TrialError, writeTrialRequest } from '../trial/index.js';
import { DaemonError } from './errors.js';
import { pidFilePath, readPidFile } from './pid-file.js';

/** The pid of the daemon that owns `stateDir`; a DaemonError if none is running. */
export function daemonPid(stateDir: string): number {
  const path = pidFilePath(stateDir);
  const found = readPidFile(stateDir);
  switch (found.state) {
    case 'live':
      return found.pid;
    case 'none':
      throw new DaemonError(
        'not-running',
        `no pid file ${path}: is the daemon running?`,
        'start it: systemctl start spa-server',
      );
    case 'malformed':
      throw new DaemonError('bad-pid-file', `${path} does not hold a pid`, `remove ${path}`);
    case 'foreign':
      throw new DaemonError(
        'not-running',
        `pid ${found.pid} from ${path} is not spa-server`,
        `remove ${path}; is the daemon running?`,
      );
    case 'gone':
      throw new DaemonError(
        'not-running',
        `no process ${found.pid} (stale ${path})`,
        'start it: systemctl start spa-server',
      );
  }
}

/**
 * Whether `config` can hold a trial (`run --trial`, `reload --trial`): a firewall backend that
 * can roll a guard back, and a TCP service to confirm the trial with. A TrialError if not.
 */
export function checkTrialConfig(config: ServerConfig): void {
  const { backend } = config.firewall;
  if (trialSupport(backend) === 'none')
    throw new TrialError(
      'trial-backend',
      `--trial: the ${backend} backend cannot roll a guard back (the guard is not spa-server's to undo)`,
      'test the guard by hand with an out-of-band console open, or use the nftables backend',
    );
  checkTrialPorts(guardedPorts(config.services), 'the configured services have');
}

/**
 * SIGHUP to the daemon of `config.stateDir`: it re-reads its configuration. With
 * `trialSeconds`, the ports that reload newly guards go on trial (the request file is written
 * first and removed again if the signal cannot be sent). Returns the daemon's pid.
 */
export function requestReload(config: ServerConfig, trialSeconds?: number): number {
  const pid = daemonPid(config.stateDir);
  if (trialSeconds !== undefined) writeTrialRequest(config.stateDir, trialSeconds);
  try {
    process.kill(pid, 'SIGHUP');
  } catch (e) {
    if (trialSeconds !== undefined) removeTrialRequest(config.stateDir);
    const code = (e as NodeJS.ErrnoException).code;
    throw new DaemonError(
      'signal-failed',
      `cannot signal pid ${pid}: ${code === 'EPERM' ? 'permission denied' : (e as Error).message}`,
      code === 'EPERM' ? 'run as root (sudo spa-server reload), or systemctl reload spa-server' : '',
    );
  }
  return pid;
}
