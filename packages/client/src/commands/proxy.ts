/**
 * `spa-client proxy HOST PORT`, for `ProxyCommand spa-client proxy %h %p` in ~/.ssh/config:
 * open the service quietly (stdout carries the SSH stream), keep the connection that proved
 * it open, and pipe stdin/stdout through it.
 */

import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { parseDurationSeconds } from '../duration.js';
import { parseCount, parseFamily, parsePort } from '../flags.js';
import { type OpenDeps, openService } from '../open-service.js';
import { pipeBoth } from '../pipe.js';
import { connectTcp } from '../port-probe.js';
import type { StoredProfile } from '../profile-store.js';
import { selectByHostPort } from '../resolve.js';
import { type SystemDeps, systemDeps } from '../system.js';
import { type GlobalOptions, loadProfiles } from './common.js';
import { touchText } from './open.js';

export interface ProxyOptions extends GlobalOptions {
  readonly duration?: string;
  readonly retries?: string;
  readonly decoys?: string;
  readonly ipv4?: boolean;
  readonly ipv6?: boolean;
}

export interface ProxyRequest {
  readonly profiles: readonly StoredProfile[];
  readonly host: string;
  readonly port: number;
  readonly durationSeconds?: number;
  readonly sends?: number;
  readonly decoys?: number;
  readonly family?: 4 | 6;
}

/**
 * Open the service for HOST:PORT and pipe `input`/`output` through a connection to it.
 * `deps.probe` is replaced by one that keeps the first connection that succeeds.
 */
export async function proxyService(
  req: ProxyRequest,
  deps: Omit<OpenDeps, 'probe'>,
  input: Readable,
  output: Writable,
): Promise<void> {
  const sel = selectByHostPort(req.profiles, req.host, req.port);
  let kept: Socket | undefined;
  const probe: OpenDeps['probe'] = async (to, timeoutMs, signal) => {
    const socket = await connectTcp(to, timeoutMs, signal);
    if (!socket) return false;
    socket.on('error', () => {});
    if (kept) socket.destroy();
    else kept = socket;
    return true;
  };
  await openService(
    {
      profile: sel.entry.profile,
      name: sel.entry.name,
      service: sel.service,
      ...(req.durationSeconds !== undefined ? { durationSeconds: req.durationSeconds } : {}),
      ...(req.sends !== undefined ? { sends: req.sends } : {}),
      ...(req.decoys !== undefined ? { decoys: req.decoys } : {}),
      ...(req.family ? { family: req.family } : {}),
      // ssh shows a ProxyCommand's stderr: the one prompt that needs the user.
      onEvent: (e) => {
        if (e.kind === 'touch') process.stderr.write(`${touchText(e.waitSeconds)}\n`);
      },
    },
    { ...deps, probe },
  );
  if (!kept) throw new Error('proxy: the service opened without a kept connection'); // not reachable: tcp only
  await pipeBoth(kept, input, output);
}

export async function run(host: string, port: string, opts: ProxyOptions): Promise<number> {
  const req: ProxyRequest = {
    profiles: loadProfiles(opts).profiles,
    host,
    port: parsePort(port),
    ...(opts.duration !== undefined ? { durationSeconds: parseDurationSeconds(opts.duration) } : {}),
    ...(opts.retries !== undefined ? { sends: parseCount(opts.retries, '--retries', 0, 20) + 1 } : {}),
    ...(opts.decoys !== undefined ? { decoys: parseCount(opts.decoys, '--decoys', 0, 64) } : {}),
    ...(parseFamily(opts) ? { family: parseFamily(opts)! } : {}),
  };
  const deps: SystemDeps = systemDeps();
  try {
    await proxyService(req, deps, process.stdin, process.stdout);
  } finally {
    deps.close();
  }
  process.stdin.destroy();
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  return 0;
}
