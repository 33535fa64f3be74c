/** `spa-server revoke-client NAME`: keep the client in the file, but refuse its knocks (revoked = true). */
import { setClientValueText } from '../config/index.js';
import { clientSection, commitEdit, noSuchClient, RELOAD_HINT, readCurrent } from './edit-config.js';
import type { Io } from './io.js';

export function revokeClient(opts: { configPath: string; name: string; undo?: boolean }, io: Io): void {
  const current = readCurrent(opts.configPath);
  const section = clientSection(current.config, opts.name);
  const client = current.config.clients.get(opts.name) ?? current.config.fwknop.clients.get(opts.name);
  if (!section || !client) throw noSuchClient(opts.name, current.file);
  const revoked = !opts.undo;
  if (client.revoked === revoked) {
    io.err(`client "${opts.name}" is already ${revoked ? 'revoked' : 'active'}; nothing changed`);
    return;
  }
  commitEdit(
    current,
    setClientValueText(current.text, current.file, opts.name, 'revoked', revoked, section),
    io,
  );
  io.err(`${revoked ? 'revoked' : 'reinstated'} client "${opts.name}" in ${current.file}`);
  io.err(RELOAD_HINT);
}
