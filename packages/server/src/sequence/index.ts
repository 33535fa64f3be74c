/** Sequence knocks: port-knock sequences per source address, and which clients they may start. */
export { type CandidateSetup, SequenceCandidates, type SequenceTarget } from './candidates.js';
export { DEFAULT_MAX_SOURCES, SequenceTracker, type TrackerSetup } from './tracker.js';
