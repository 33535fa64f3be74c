/**
 * The daemon's process life: start and signals (run.ts), the pid file, the reload plan,
 * logging and the wiring of the parts (daemon.ts, deps.ts); and what commands ask of a running
 * daemon (control.ts).
 */
export { checkTrialConfig, daemonPid, requestReload } from './control.js';
export { Daemon, type DaemonOptions, type DaemonTestSeams } from './daemon.js';
export type { Clock, DaemonDeps, SignalSource } from './deps.js';
export { DaemonError, type DaemonErrorCode } from './errors.js';
export { createLogger, type Logger, type LoggerConfig, type LogLevel } from './log.js';
export { type DaemonState, daemonState, pidFilePath } from './pid-file.js';
export { type RunDaemonOptions, type RunDaemonTestSeams, runDaemon } from './run.js';
export { assertSafeStateDir, stateDirProblem } from './state-dir.js';
