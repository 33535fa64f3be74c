/**
 * The .deb (scripts/deb.mjs) in a clean root: its files extracted (`dpkg-deb -x`, as `dpkg -i`
 * would unpack them) into an empty directory that gets only what its Depends provide (node,
 * libpcap and their shared libraries) and /bin/sh; then, chrooted there with /proc, /sys and
 * /dev bound in a private mount namespace: `spa-server init`, `spa-server check` (which loads
 * the packaged, compiled cap and opens a capture on lo), and `man -w` / bash completion
 * outside. Needs root, dpkg-deb, unshare, chroot.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const DEB = fileURLToPath(new URL('../../../scripts/deb.mjs', import.meta.url));
const usable =
  process.platform === 'linux' &&
  process.getuid?.() === 0 &&
  spawnSync('dpkg-deb', ['--version']).status === 0 &&
  spawnSync('unshare', ['--version']).status === 0;

/** Copy a binary and every shared library it links into `root`, at the same paths. */
function copyWithLibs(root: string, file: string): void {
  const paths = [file];
  const ldd = spawnSync('ldd', [file], { encoding: 'utf8' }).stdout ?? '';
  for (const m of ldd.matchAll(/(\/\S+) \(0x/g)) paths.push(m[1]!);
  for (const p of paths) {
    if (existsSync(join(root, p))) continue;
    mkdirSync(join(root, dirname(p)), { recursive: true });
    copyFileSync(p, join(root, p));
    execFileSync('chmod', ['755', join(root, p)]);
  }
}

describe('spa-server .deb', {
  timeout: 240_000,
  skip: usable ? false : 'needs root, dpkg-deb, unshare',
}, () => {
  test('builds; in a clean root: init, check (capture with the packaged cap), man page, completion', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'spa-deb-test-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const deb = execFileSync(process.execPath, [DEB, join(dir, 'out')], { encoding: 'utf8' }).trim();
    assert.match(deb, /spa-server_\d+\.\d+\.\d+_amd64\.deb$/);
    const control = execFileSync('dpkg-deb', ['-f', deb], { encoding: 'utf8' });
    assert.match(control, /^Architecture: amd64$/m);
    assert.match(control, /^Depends: nodejs \(>= 20\.19\), libpcap0\.8/m);

    const root = join(dir, 'root');
    execFileSync('dpkg-deb', ['-x', deb, root]);
    // What the Depends would bring: node and libpcap (with their libraries), and a shell.
    copyWithLibs(root, process.execPath);
    copyWithLibs(root, join(root, 'usr/lib/spa-server/node_modules/cap/build/Release/cap.node'));
    copyWithLibs(root, '/bin/sh');
    if (process.execPath !== '/usr/bin/node') copyWithLibs(root, '/usr/bin/node');
    for (const d of ['proc', 'sys', 'dev', 'tmp', 'etc/spa']) mkdirSync(join(root, d), { recursive: true });
    assert.ok(existsSync(join(root, 'lib/systemd/system/spa-server.service')));
    // Type=notify: the notification addon sits where daemon/notify.ts looks for it, beside the bundle.
    assert.ok(existsSync(join(root, 'usr/lib/spa-server/native/build/sd_notify.node')));
    const addon = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { createRequire } from 'node:module'; const r = createRequire(${JSON.stringify(`file://${root}/usr/lib/spa-server/dist/src/cli/spa-server.mjs`)}); console.log(typeof r('../../../native/build/sd_notify.node').send);`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(addon.trim(), 'function');

    const inRoot = (args: string) =>
      spawnSync(
        'unshare',
        [
          '--mount',
          '--propagation',
          'private',
          'sh',
          '-c',
          `mount --bind /proc "$0/proc" && mount --bind /sys "$0/sys" && mount --bind /dev "$0/dev" && exec chroot "$0" /usr/bin/spa-server ${args}`,
          root,
        ],
        { encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/tmp' } },
      );
    const init = inRoot(
      'init -i lo -s ssh=22/tcp --name web1 --host 192.0.2.1 --firewall dry-run --state-dir /tmp/state',
    );
    assert.equal(init.status, 0, init.stderr);
    assert.match(init.stdout, /wrote \/etc\/spa\/server\.toml \(mode 0600\)/);
    const check = inRoot('check');
    assert.equal(check.status, 0, `${check.stdout}\n${check.stderr}`);
    assert.match(check.stdout, /^ok +capture on lo: libpcap opens it/m);
    assert.match(check.stderr, /all checks passed/);

    const man = spawnSync('man', ['-w', 'spa-server'], {
      encoding: 'utf8',
      env: { ...process.env, MANPATH: join(root, 'usr/share/man') },
    });
    assert.equal(man.stdout.trim(), join(root, 'usr/share/man/man8/spa-server.8.gz'));
    assert.ok(existsSync(join(root, 'usr/share/man/man1/spa-client.1.gz')));
    const completion = spawnSync(
      'bash',
      [
        '-c',
        `source "$0/usr/share/bash-completion/completions/spa-server"; COMP_WORDS=(spa-server add-c); COMP_CWORD=1; _spa_server; echo "\${COMPREPLY[@]}"; COMP_WORDS=(spa-server add-client --o); COMP_CWORD=2; _spa_server; echo "\${COMPREPLY[@]}"`,
        root,
      ],
      { encoding: 'utf8' },
    );
    assert.deepEqual(completion.stdout.trim().split('\n'), ['add-client', '--out']);
  });
});
