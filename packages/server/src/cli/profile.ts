/** `spa-server profile NAME [--out FILE]`: print (or write, mode 0600) an existing client's spa:// profile again. */
import { clientProfileUri } from '../config/index.js';
import { noSuchClient, readCurrent } from './edit-config.js';
import type { Io } from './io.js';
import { createProfileFile, emitProfile } from './profile-out.js';

export function showProfile(opts: { configPath: string; name: string; out?: string }, io: Io): void {
  const { file, config } = readCurrent(opts.configPath);
  if (!config.clients.has(opts.name)) throw noSuchClient(opts.name, file);
  const out = opts.out !== undefined ? createProfileFile(opts.out) : undefined;
  emitProfile(clientProfileUri(config, opts.name), out, io);
  if (out) io.err(`wrote the profile to ${out.path} (mode 0600)`);
}
