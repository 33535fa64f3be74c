/**
 * @spa/client as a library: what the CLI does, callable in-process (the lab, benchmarks).
 * Every function that touches the network takes its I/O as a parameter; `systemDeps()`
 * gives the real sockets, resolver, clocks and randomness.
 */

export { type ProxyRequest, proxyService } from './commands/proxy.js';
export { parseDurationSeconds, parseGapMs } from './duration.js';
export { ClientError, type ClientErrorCode, EXIT_CODES } from './errors.js';
export { parseAllow } from './flags.js';
export { describeResult, resultJson } from './format.js';
export { tcpKnock, UdpSender } from './knock-sender.js';
export {
  currentSequence,
  type KnockDeps,
  type KnockRequest,
  knockService,
  type SequenceNow,
} from './knock-service.js';
export {
  OPEN_DEFAULTS,
  type OpenDeps,
  type OpenEvent,
  type OpenRequest,
  type OpenResult,
  openService,
} from './open-service.js';
export { pipeBoth } from './pipe.js';
export { connectTcp, probeTcp } from './port-probe.js';
export {
  configPath,
  type ImportOptions,
  importProfile,
  type ProfileFile,
  readProfiles,
  removeProfile,
  type StoredProfile,
} from './profile-store.js';
export {
  type Endpoint,
  type Lookup,
  type ResolvedAddress,
  resolveHost,
  type Selected,
  selectByHostPort,
  selectTarget,
  systemLookup,
} from './resolve.js';
export { buildPacket, currentKnockPort, profileKeys } from './seal.js';
export { type SystemDeps, sleep, systemDeps } from './system.js';
