/**
 * `spa-client ports SERVICE[@SERVER]`: this step's one-time sequence, how long it stays
 * valid, and command lines to send it with other tools.
 */
import { knockKey } from '@spa/shared';
import { currentSequence } from '../knock-service.js';
import { selectTarget } from '../resolve.js';
import { type GlobalOptions, loadProfiles, out, outJson } from './common.js';

export async function run(target: string, opts: GlobalOptions & { json?: boolean }): Promise<number> {
  const file = loadProfiles(opts);
  const sel = selectTarget(file.profiles, target, file.path);
  const profile = sel.entry.profile;
  const seq = currentSequence(profile, sel.service, Date.now(), sel.entry.name);
  const host = profile.host;
  const knockLine = `knock -d 100 ${host} ${seq.knocks.map((k) => `${k.port}:${k.protocol}`).join(' ')}`;
  const ncLine = seq.knocks
    .map((k) => (k.protocol === 'tcp' ? `nc -z -w 1 ${host} ${k.port}` : `nc -u -z -w 1 ${host} ${k.port}`))
    .join('; ');
  if (opts.json) {
    outJson({
      name: sel.entry.name,
      service: sel.service,
      host,
      step: seq.step,
      validForSeconds: seq.validForSeconds,
      knocks: seq.knocks.map(knockKey),
      knock: knockLine,
      nc: ncLine,
    });
    return 0;
  }
  out(`${sel.service} on ${sel.entry.name}: ${seq.knocks.map(knockKey).join(' ')}`);
  out(
    `valid for ${seq.validForSeconds} s (step ${seq.step}); the server forgets a sequence after ${profile.sequence!.gapMs} ms without a knock`,
  );
  out(`  ${knockLine}`);
  out(`  ${ncLine}`);
  return 0;
}
