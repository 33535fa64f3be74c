/**
 * The packet path's hub: one captured packet → the verifier of its port's step → policy →
 * replay check → firewall grant, with every drop counted under a reason (reasons.ts).
 */
export { Counters } from './counters.js';
export { KnockPipeline, type PipelineSetup } from './pipeline.js';
export { DAEMON_REASONS, type DaemonReason, EVENTS, KNOCK_REJECTS, type KnockReject } from './reasons.js';
export { captureFilter, guardedPorts } from './steps.js';
