/** Running spa-server in tests: as a child process (exit codes, streams) or in-process (fast). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/index.js';
import type { Io } from '../../src/cli/io.js';

export const BIN = fileURLToPath(new URL('../../../bin/spa-server.js', import.meta.url));

export interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Environment without SPA_SERVER_CONFIG, so the tests never see the host's config. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra };
  if (!('SPA_SERVER_CONFIG' in extra)) delete env.SPA_SERVER_CONFIG;
  return env;
}

export function spawnCli(args: readonly string[], env: Record<string, string> = {}): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: cleanEnv(env),
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export async function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    out: (t) => {
      stdout += t.endsWith('\n') ? t : `${t}\n`;
    },
    err: (t) => {
      stderr += t.endsWith('\n') ? t : `${t}\n`;
    },
    env: cleanEnv(env),
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'spa-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `init` arguments for a config that needs no privileges to check: interface lo, dry-run firewall. */
export function initArgs(config: string, dir: string, ...extra: string[]): string[] {
  return [
    'init',
    '--config',
    config,
    '--interface',
    'lo',
    '--service',
    'ssh=22/tcp',
    '--service',
    'https=443/tcp',
    '--name',
    'web1',
    '--host',
    '192.0.2.1',
    '--firewall',
    'dry-run',
    '--state-dir',
    join(dir, 'state'),
    ...extra,
  ];
}
