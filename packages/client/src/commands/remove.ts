/** `spa-client remove NAME`. */
import { configPath, removeProfile } from '../profile-store.js';
import { type GlobalOptions, out } from './common.js';

export async function run(name: string, opts: GlobalOptions): Promise<number> {
  const path = configPath(opts.config);
  removeProfile(path, name);
  out(`removed "${name}" from ${path}`);
  return 0;
}
