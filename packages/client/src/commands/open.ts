/** `spa-client open SERVICE[@SERVER] [-- COMMAND…]`. */
import { parseDurationSeconds } from '../duration.js';
import { parseAllow, parseCount, parseFamily } from '../flags.js';
import { describeResult, resultJson } from '../format.js';
import { type OpenEvent, type OpenRequest, openService } from '../open-service.js';
import { selectTarget } from '../resolve.js';
import { startSpinner } from '../spinner.js';
import { systemDeps } from '../system.js';
import { type GlobalOptions, loadProfiles, out, outJson } from './common.js';

export interface OpenOptions extends GlobalOptions {
  readonly allow?: string;
  readonly duration?: string;
  readonly wait?: boolean;
  readonly retries?: string;
  readonly decoys?: string;
  readonly quiet?: boolean;
  readonly json?: boolean;
  readonly ipv4?: boolean;
  readonly ipv6?: boolean;
}

/** Flags and target → a request for `openService` (no I/O besides reading the profile file). */
export function openRequest(target: string, opts: OpenOptions): OpenRequest {
  const allow = opts.allow !== undefined ? parseAllow(opts.allow) : undefined;
  const durationSeconds = opts.duration !== undefined ? parseDurationSeconds(opts.duration) : undefined;
  const retries = opts.retries !== undefined ? parseCount(opts.retries, '--retries', 0, 20) : 2;
  const decoys = opts.decoys !== undefined ? parseCount(opts.decoys, '--decoys', 0, 64) : 0;
  const family = parseFamily(opts);
  const file = loadProfiles(opts);
  const sel = selectTarget(file.profiles, target, file.path);
  return {
    profile: sel.entry.profile,
    name: sel.entry.name,
    service: sel.service,
    sends: retries + 1,
    wait: opts.wait ?? true,
    decoys,
    ...(allow ? { allow } : {}),
    ...(durationSeconds !== undefined ? { durationSeconds } : {}),
    ...(family ? { family } : {}),
  };
}

export function progressText(service: string, name: string, e: OpenEvent): string {
  if (e.kind === 'resolved') return `sending to ${name} (${e.address})`;
  if (e.kind === 'sent') return `packet ${e.attempt}/${e.of} sent to port ${e.port}`;
  if (e.kind === 'touch') return touchText(e.waitSeconds);
  return `waiting for ${service} on ${name} (packet ${e.attempt}/${e.of})`;
}

export function touchText(waitSeconds: number): string {
  return `touch your security key to sign the knock (waiting up to ${waitSeconds} s)`;
}

export async function run(target: string, command: readonly string[], opts: OpenOptions): Promise<number> {
  const req = openRequest(target, opts);
  const name = req.name ?? req.profile.server;
  const spinner = opts.quiet || opts.json ? undefined : startSpinner(`opening ${req.service} on ${name}`);
  const deps = systemDeps();
  let result: Awaited<ReturnType<typeof openService>>;
  try {
    result = await openService(
      {
        ...req,
        onEvent: (e) => {
          if (spinner) spinner.text(progressText(req.service, name, e));
          else if (e.kind === 'touch' && !opts.quiet) process.stderr.write(`${touchText(e.waitSeconds)}\n`);
        },
      },
      deps,
    );
  } finally {
    spinner?.stop();
    deps.close();
  }
  if (opts.json) outJson(resultJson(result));
  else if (!opts.quiet) {
    if (command.length > 0) process.stderr.write(`${describeResult(result)}\n`);
    else out(describeResult(result));
  }
  if (command.length === 0) return 0;
  const { runCommand } = await import('../exec.js');
  return runCommand(command);
}
