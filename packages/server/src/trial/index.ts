/**
 * Trial: newly guarded ports stay guarded only if a knock proves, in time, that it still gets
 * the admin in (trial.ts: the state machine; guard.ts: its wiring to capture and firewall).
 */
export { TrialGuard, type TrialGuardDeps } from './guard.js';
export {
  formatTrialRequest,
  parseTrialRequest,
  removeTrialRequest,
  TRIAL_REQUEST_FILE,
  takeTrialRequest,
  trialRequestPath,
  writeTrialRequest,
} from './request-file.js';
export {
  checkTrialPorts,
  checkTrialSeconds,
  MAX_TRIAL_SECONDS,
  MIN_TRIAL_SECONDS,
  portList,
  TRIAL_KERNEL_MARGIN_SECONDS,
  Trial,
  TrialError,
  type TrialOutcome,
  type TrialPort,
} from './trial.js';
