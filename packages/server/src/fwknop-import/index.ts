/** Importing fwknop's access.conf: read the stanzas (collect.ts), then plan each (plan.ts). */
export { type AccessFiles, type Collected, collectStanzas } from './collect.js';
export {
  type ExistingFwknopClient,
  keyBytes,
  type NumberedStanza,
  type PlanContext,
  planImport,
  type StanzaPlan,
} from './plan.js';
