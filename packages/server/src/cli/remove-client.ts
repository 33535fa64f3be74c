/** `spa-server remove-client NAME`: delete the client's table (its key stops working at the next reload). */
import { type ClientSection, removeClientText } from '../config/edit.js';
import type { ServerConfig } from '../config/types.js';
import { commitEdit, RELOAD_HINT, readCurrent } from './edit-config.js';
import { CliError } from './errors.js';
import type { Io } from './io.js';

export function noSuchClient(name: string, file: string): CliError {
  return new CliError('no-client', `no client "${name}" in ${file}`, 'see: spa-server list-clients');
}

/** The table a client lives in: [clients.NAME] or [fwknop_clients.NAME] (names are unique across both). */
export function clientSection(config: ServerConfig, name: string): ClientSection | undefined {
  if (config.clients.has(name)) return 'clients';
  if (config.fwknop.clients.has(name)) return 'fwknop_clients';
  return undefined;
}

export function removeClient(opts: { configPath: string; name: string }, io: Io): void {
  const current = readCurrent(opts.configPath);
  const section = clientSection(current.config, opts.name);
  if (!section) throw noSuchClient(opts.name, current.file);
  commitEdit(current, removeClientText(current.text, current.file, opts.name, section), io);
  io.err(`removed client "${opts.name}" from ${current.file}`);
  io.err(RELOAD_HINT);
  io.err(
    'grants it already holds run out by themselves (see spa-server status; end them now with spa-server revoke ADDRESS)',
  );
}
