/** Replay: every accepted one-time id, kept on disk until it can no longer be replayed. */
export { REPLAY_MARKER, type StoreDamage } from './damage.js';
export { REPLAY_FILE, type ReplayRecord } from './record.js';
export {
  type ReplayLoadStats,
  ReplayStore,
  type ReplayStoreOptions,
  type ReplayStoreTestSeams,
} from './replay-store.js';
export { APPEND_NO_FOLLOW, NEW_FILE, readNoFollow, writeNewFile } from './state-file.js';
