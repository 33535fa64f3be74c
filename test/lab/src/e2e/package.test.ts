/**
 * The spa-client npm package (npm run package → dist/spa-client-*.tgz, one bundled file) installed
 * with `npm i -g` into a fresh prefix, and that installed command opens ssh in the lab: real
 * capture, real nftables, the client in its own namespace.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { labAvailable } from '../lab/index.js';
import { type SpaLab, startSpaLab } from '../spa/fixture.js';

const PACK = fileURLToPath(new URL('../../../../packages/client/scripts/pack.mjs', import.meta.url));

describe('the spa-client package, installed with npm i -g, opens ssh', () => {
  let spa: SpaLab | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'spa-package-lab-'));

  before(async (t) => {
    if (labAvailable(t as unknown as { skip(m?: string): void })) spa = await startSpaLab();
  });
  after(async () => {
    await spa?.teardown();
    rmSync(dir, { recursive: true, force: true });
  });

  test('npm i -g ./spa-client-*.tgz, then spa-client open ssh from the client namespace', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const tarball = execFileSync(process.execPath, [PACK, dir], { encoding: 'utf8' }).trim();
    const prefix = join(dir, 'prefix');
    execFileSync(
      'npm',
      [
        'install',
        '--global',
        '--prefix',
        prefix,
        '--offline',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        tarball,
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, npm_config_cache: join(dir, 'npm-cache') },
      },
    );
    const bin = join(prefix, 'bin', 'spa-client');
    const r = await spa.lab.exec(
      'client',
      [bin, '--config', spa.clientConfig('client'), 'open', 'ssh', '-4', '--json'],
      {
        timeoutMs: 20_000,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).status, 'open');
    const c = await (await spa.lab.agent('client')).connect(spa.lab.hosts.server.ipv4, 22, 1000, {
      banner: true,
    });
    assert.ok(c.ok, 'client reaches ssh');
    const grant = await spa.waitForLog((l) => l.msg === 'grant');
    assert.equal(grant.client, 'alice');
  });
});
