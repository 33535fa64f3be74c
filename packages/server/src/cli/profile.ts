/** `spa-server profile NAME`: print an existing client's spa:// profile again. */
import { clientProfileUri } from '../config/index.js';
import { noSuchClient, readCurrent } from './edit-config.js';
import type { Io } from './io.js';

export function showProfile(opts: { configPath: string; name: string }, io: Io): void {
  const { file, config } = readCurrent(opts.configPath);
  if (!config.clients.has(opts.name)) throw noSuchClient(opts.name, file);
  io.out(clientProfileUri(config, opts.name));
}
