/** `spa-client knock SERVICE[@SERVER]`: send this step's one-time knock sequence. */
import { knockKey } from '@spa/shared';
import { parseGapMs } from '../duration.js';
import { parseCount, parseFamily } from '../flags.js';
import { describeResult, resultJson } from '../format.js';
import { knockService } from '../knock-service.js';
import { selectTarget } from '../resolve.js';
import { startSpinner } from '../spinner.js';
import { systemDeps } from '../system.js';
import { type GlobalOptions, loadProfiles, out, outJson } from './common.js';

export interface KnockOptions extends GlobalOptions {
  readonly gap?: string;
  readonly decoys?: string;
  readonly wait?: boolean;
  readonly quiet?: boolean;
  readonly json?: boolean;
  readonly ipv4?: boolean;
  readonly ipv6?: boolean;
}

export async function run(target: string, opts: KnockOptions): Promise<number> {
  const gapMs = opts.gap !== undefined ? parseGapMs(opts.gap) : undefined;
  const decoys = opts.decoys !== undefined ? parseCount(opts.decoys, '--decoys', 0, 64) : 0;
  const family = parseFamily(opts);
  const file = loadProfiles(opts);
  const sel = selectTarget(file.profiles, target, file.path);
  const name = sel.entry.name;
  const spinner =
    opts.quiet || opts.json ? undefined : startSpinner(`knocking for ${sel.service} on ${name}`);
  const deps = systemDeps();
  let result: Awaited<ReturnType<typeof knockService>>;
  try {
    result = await knockService(
      {
        profile: sel.entry.profile,
        name,
        service: sel.service,
        decoys,
        wait: opts.wait ?? true,
        ...(gapMs !== undefined ? { gapMs } : {}),
        ...(family ? { family } : {}),
        onEvent: (e) =>
          spinner?.text(
            e.kind === 'knock' ? `knock ${e.index}/${e.of}` : `waiting for ${sel.service} on ${name}`,
          ),
      },
      deps,
    );
  } finally {
    spinner?.stop();
    deps.close();
  }
  if (opts.json) outJson({ ...resultJson(result), sends: 1, knocks: result.knocks.map(knockKey) });
  else if (!opts.quiet) out(describeResult(result));
  return 0;
}
