/**
 * `loadConfig(path)`: the one way the CLI and the daemon read the configuration.
 */
import { readConfigText } from './file.js';
import { parseConfig } from './parse.js';
import type { ServerConfig } from './types.js';

/**
 * Read, check and validate the config file. Throws ConfigError (code, file, key, hint) for
 * a missing, loose or invalid file. Client subkeys are derived on first use.
 */
export function loadConfig(path: string): ServerConfig {
  const { file, text } = readConfigText(path);
  return parseConfig(text, file);
}
