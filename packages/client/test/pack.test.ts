/**
 * The packed tarball installs with `npm i -g` and no registry: one bundled file, no
 * dependencies, nothing native; the installed `spa-client` runs.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeUri, tempDir } from './helpers.js';

const PACK = fileURLToPath(new URL('../../scripts/pack.mjs', import.meta.url));
const hasNpm =
  spawnSync('npm', ['--version'], { stdio: 'ignore', shell: process.platform === 'win32' }).status === 0;

describe('packed tarball', { timeout: 120_000 }, () => {
  test('npm i -g --offline of the tarball gives a working spa-client', {
    skip: !hasNpm || process.platform === 'win32',
  }, (t) => {
    const dir = tempDir(t);
    const tarball = execFileSync(process.execPath, [PACK, dir], { encoding: 'utf8' }).trim();
    assert.ok(existsSync(tarball), tarball);
    assert.match(tarball, /spa-client-\d+\.\d+\.\d+\.tgz$/);
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
    const help = spawnSync(bin, ['--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /Usage: spa-client/);
    // A real command that loads @spa/shared, smol-toml and noble from the installed copy.
    const env = { ...process.env, SPA_CLIENT_CONFIG: join(dir, 'client.toml') };
    const imp = spawnSync(
      bin,
      ['import', makeUri({ host: '127.0.0.1', knock: { mode: 'fixed', port: 9 } })],
      { env, encoding: 'utf8' },
    );
    assert.equal(imp.status, 0, imp.stderr);
    const open = spawnSync(bin, ['open', 'ssh', '--no-wait'], { env, encoding: 'utf8' });
    assert.equal(open.status, 0, open.stderr);
    assert.match(open.stdout, /ssh on web1: sent to port 9/);
    const version = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    assert.equal(version.stdout.trim(), '0.1.0');
    // One bundled file: no node_modules, no dependencies, four files in all.
    const installed = join(prefix, 'lib', 'node_modules', '@spa', 'client');
    assert.equal(existsSync(join(installed, 'node_modules')), false);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    assert.equal(manifest.dependencies, undefined);
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).trim().split('\n').sort();
    assert.deepEqual(files, [
      'package/README.md',
      'package/bin/spa-client.js',
      'package/dist/spa-client.mjs',
      'package/package.json',
    ]);
  });
});
