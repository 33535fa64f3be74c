/**
 * Read → change → validate → write, for the commands that modify the config file. The new
 * text is validated in full before it is written, so a command can never leave an invalid
 * file behind, and the write fails if someone else changed the file in the meantime.
 */
import type { ClientSection, Edited } from '../config/index.js';
import { parseConfig, readConfigText, writeConfig } from '../config/index.js';
import type { ServerConfig } from '../config/types.js';
import { CliError } from './errors.js';
import type { Io } from './io.js';

export interface Current {
  readonly file: string;
  readonly text: string;
  readonly config: ServerConfig;
}

export function readCurrent(configPath: string): Current {
  const { file, text } = readConfigText(configPath);
  return { file, text, config: parseConfig(text, file) };
}

/** Validate and write an edit of `current`; returns the new configuration. */
export function commitEdit(current: Current, edited: Edited, io: Io): ServerConfig {
  const config = parseConfig(edited.text, current.file);
  writeConfig(current.file, edited.text, { expect: current.text });
  if (!edited.preserved) {
    io.err(
      `note: ${current.file} is laid out in a way that could not be edited in place; ` +
        'it was rewritten from its contents with the standard comments (your own comments are gone)',
    );
  }
  return config;
}

export const RELOAD_HINT =
  'then reload the daemon: systemctl reload spa-server (or spa-server reload, or kill -HUP)';

export function noSuchClient(name: string, file: string): CliError {
  return new CliError('no-client', `no client "${name}" in ${file}`, 'see: spa-server list-clients');
}

/** The table a client lives in: [clients.NAME] or [fwknop_clients.NAME] (names are unique across both). */
export function clientSection(config: ServerConfig, name: string): ClientSection | undefined {
  if (config.clients.has(name)) return 'clients';
  if (config.fwknop.clients.has(name)) return 'fwknop_clients';
  return undefined;
}
