/** The namespace lab: public API for the demo, the end-to-end tests and the benchmarks. */

export { cleanLeftovers, type LeftoverReport } from '@spa/netns';
export { Agent } from './agent-client.js';
export type {
  AgentFailure,
  ConnectResult,
  Datagram,
  EchoResult,
  HoldResult,
  ListenResult,
  ReceivedResult,
  SendResult,
} from './agent-protocol.js';
export { serviceBanner } from './agent-protocol.js';
export { LabError, type LabErrorCode } from './errors.js';
export { type HostRef, type Lab, type LabHost, type LabHosts, type LabOptions, startLab } from './lab.js';
export { LAB_PREFIX } from './names.js';
export { type CanBuild, canBuildLab } from './preflight.js';
export type { ExecOptions, ExecResult, LabProcess, ProcessExit, SpawnOptions } from './process.js';
export { labAvailable, type SkippableContext } from './require.js';
export { type Services, startServices } from './service.js';
