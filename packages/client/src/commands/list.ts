/** `spa-client list`: the stored profiles (names, hosts, services; never keys). */
import { knockText, profileJson, servicesText, table } from '../list-format.js';
import { type GlobalOptions, loadProfiles, out, outJson } from './common.js';

export async function run(opts: GlobalOptions & { json?: boolean }): Promise<number> {
  const file = loadProfiles(opts);
  if (opts.json) {
    outJson({ path: file.path, profiles: file.profiles.map(profileJson) });
    return 0;
  }
  if (file.profiles.length === 0) {
    out(`no profiles in ${file.path}; import one with: spa-client import - < PROFILE_FILE`);
    return 0;
  }
  const rows = [['NAME', 'SERVER', 'HOST', 'CLIENT', 'SERVICES', 'KNOCK', 'SEQUENCE']];
  for (const p of file.profiles) {
    const s = p.profile.sequence;
    rows.push([
      p.name,
      p.profile.server,
      p.profile.host,
      p.profile.client,
      servicesText(p) || '-',
      knockText(p),
      s ? `${s.length} ${s.protocol}` : '-',
    ]);
  }
  for (const line of table(rows)) out(line);
  return 0;
}
