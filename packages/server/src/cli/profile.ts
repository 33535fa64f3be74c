/** `spa-server profile NAME`: print an existing client's spa:// profile again. */
import { clientProfileUri } from '../config/profile.js';
import { readCurrent } from './edit-config.js';
import type { Io } from './io.js';
import { noSuchClient } from './remove-client.js';

export function showProfile(opts: { configPath: string; name: string }, io: Io): void {
  const { file, config } = readCurrent(opts.configPath);
  if (!config.clients.has(opts.name)) throw noSuchClient(opts.name, file);
  io.out(clientProfileUri(config, opts.name));
}
