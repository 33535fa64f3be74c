/** The daemon's process life: start (run.ts), pid file, signals, reload plan, logging, wiring. */
export { Daemon, type DaemonOptions } from './daemon.js';
export type { Clock, DaemonDeps, SignalSource } from './deps.js';
export { DaemonError, type DaemonErrorCode } from './errors.js';
export { createLogger, type Logger, type LoggerConfig, type LogLevel } from './log.js';
export { pidFilePath } from './pid-file.js';
export { type RunDaemonOptions, runDaemon } from './run.js';
