/**
 * Trial: newly guarded ports stay guarded only if a knock proves, in time, that it still gets
 * the admin in (trial.ts: the state machine; guard.ts: its wiring to capture and firewall).
 */
export { TrialGuard, type TrialGuardDeps } from './guard.js';
export {
  checkTrialPorts,
  checkTrialSeconds,
  formatTrialRequest,
  MAX_TRIAL_SECONDS,
  MIN_TRIAL_SECONDS,
  parseTrialRequest,
  portList,
  TRIAL_KERNEL_MARGIN_SECONDS,
  TRIAL_REQUEST_FILE,
  Trial,
  TrialError,
  type TrialOutcome,
  type TrialPort,
} from './trial.js';
