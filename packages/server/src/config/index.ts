/** Server configuration: the TOML file, its validation, and safe edits. */

export { parseExpiry } from './clients.js';
export { formatDuration, parseDurationMs } from './duration.js';
export {
  addClientText,
  addFwknopImportText,
  type ClientSection,
  type Edited,
  removeClientText,
  setClientValueText,
} from './edit.js';
export { ConfigError, type ConfigErrorCode, isConfigError } from './errors.js';
export { isTable, type Table } from './fields.js';
export { permissionProblem, readConfigText } from './file.js';
export { loadConfig } from './load.js';
export { parseConfig, parseToml } from './parse.js';
export { clientProfile, clientProfileUri, signedOnly } from './profile.js';
export { renderClient, renderConfig } from './render.js';
export * from './schema.js';
export { NAME_PATTERN } from './sections.js';
export type * from './types.js';
export { type WriteOptions, writeConfig } from './write.js';
