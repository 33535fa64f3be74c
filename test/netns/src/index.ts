/** Network namespaces for tests (the lab and the server's unit tests that need real interfaces). */
export { cleanLeftovers, cleanLeftoversSync, type LeftoverReport, teardownAllSync } from './cleanup.js';
export {
  destroyNamespaces,
  destroyNamespacesSync,
  IP_BIN,
  type IpResult,
  ipBatch,
  ipBatchSync,
  isAlive,
  killQuietly,
  listNamespaces,
  NetnsError,
  runIp,
  runIpSync,
} from './ip.js';
export * from './names.js';
export {
  addVeth,
  addVethSync,
  createNamespaces,
  createNamespacesSync,
  execInSync,
  inNamespace,
  type NamespaceOptions,
  type Namespaces,
  type VethEnd,
} from './netns.js';
