/** `spa-server remove-client NAME`: delete the client's table (its key stops working at the next reload). */
import { removeClientText } from '../config/index.js';
import { clientSection, commitEdit, noSuchClient, RELOAD_HINT, readCurrent } from './edit-config.js';
import type { Io } from './io.js';

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
