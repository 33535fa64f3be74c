/**
 * spa-client as one executable (scripts/sea.mjs) runs where there is no Node: inside a chroot
 * that holds only the executable and the shared libraries it links (libc, libstdc++…).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SEA = fileURLToPath(new URL('../../scripts/sea.mjs', import.meta.url));
const CHROOT = '/usr/sbin/chroot';
const can = process.platform === 'linux' && process.arch === 'x64' && process.getuid?.() === 0;

describe('single executable', {
  timeout: 180_000,
  skip: can ? false : 'Linux x64 and root (chroot) only',
}, () => {
  test('builds, and runs in a root without Node: --version, --help, import, list', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'spa-sea-test-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const exe = execFileSync(process.execPath, [SEA, join(dir, 'out')], { encoding: 'utf8' }).trim();
    const root = join(dir, 'root');
    mkdirSync(join(root, 'tmp'), { recursive: true });
    copyFileSync(exe, join(root, 'spa-client'));
    execFileSync('chmod', ['755', join(root, 'spa-client')]);
    // The shared libraries, at the paths the loader looks for them.
    const libs = execFileSync('ldd', [exe], { encoding: 'utf8' })
      .split('\n')
      .map((l) => /(\/\S+) \(0x/.exec(l)?.[1])
      .filter((p): p is string => p !== undefined);
    for (const lib of libs) {
      mkdirSync(join(root, dirname(lib)), { recursive: true });
      copyFileSync(lib, join(root, lib));
    }
    const run = (...args: string[]) =>
      spawnSync(CHROOT, [root, '/spa-client', ...args], {
        encoding: 'utf8',
        env: { PATH: '/', HOME: '/tmp', SPA_CLIENT_CONFIG: '/tmp/client.toml', SPA_CLIENT_STATE_DIR: '/tmp' },
      });
    const which = spawnSync(CHROOT, [root, '/usr/bin/node', '--version'], { encoding: 'utf8' });
    assert.match(which.stderr, /No such file or directory/, 'no node in the root');
    const v = run('--version');
    assert.equal(v.status, 0, v.stderr);
    assert.equal(v.stdout.trim(), '0.1.0');
    assert.match(run('--help').stdout, /Usage: spa-client/);
    const list = run('list');
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout + list.stderr, /no profiles in \/tmp\/client\.toml/);
  });
});
