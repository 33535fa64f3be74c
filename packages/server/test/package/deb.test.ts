/**
 * The .deb (scripts/deb.mjs) installed by dpkg into a clean root: an empty directory with an
 * empty dpkg database, given first what the package's Depends would bring (node, libpcap and
 * their shared libraries, copied from this machine) plus /bin/sh, bash and man for the checks;
 * then `dpkg --root=ROOT -i` (the real unpack, file list, md5sums and configure step; --log
 * inside ROOT so the host's dpkg.log is not touched). Then, chrooted there with /proc, /sys and
 * /dev bound in a private mount namespace: `spa-server init`, `spa-server check` (which loads the
 * packaged, compiled cap and opens a capture on lo), `man -w spa-server` and the bash
 * completion. Needs root, dpkg, unshare, chroot; man-db (on Debian by default) must be there:
 * without it the test fails rather than skips.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const DEB = fileURLToPath(new URL('../../../scripts/deb.mjs', import.meta.url));
const usable =
  process.platform === 'linux' &&
  process.getuid?.() === 0 &&
  spawnSync('dpkg', ['--version']).status === 0 &&
  spawnSync('unshare', ['--version']).status === 0;

/** This build's compiled cap (the one deb.mjs packs): its ldd names the libpcap to provide. */
function capNode(): string {
  let d = dirname(createRequire(import.meta.url).resolve('cap'));
  while (!existsSync(join(d, 'package.json'))) d = dirname(d);
  return join(d, 'build/Release/cap.node');
}

/** Copy a binary (unless `self` is false) and every shared library it links into `root`, at the same paths. */
function copyWithLibs(root: string, file: string, self = true): void {
  const paths = self ? [file] : [];
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
  skip: usable ? false : 'needs root, dpkg, unshare',
}, () => {
  test('builds; in a clean root: init, check (capture with the packaged cap), man page, completion', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'spa-deb-test-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const deb = execFileSync(process.execPath, [DEB, join(dir, 'out')], { encoding: 'utf8' }).trim();
    assert.match(deb, /spa-server_\d+\.\d+\.\d+_amd64\.deb$/);
    const control = execFileSync('dpkg-deb', ['-f', deb], { encoding: 'utf8' });
    assert.match(control, /^Architecture: amd64$/m);
    assert.match(control, /^Depends: nodejs \(>= 20\.19\), libpcap0\.8/m);

    // Maintainer scripts: none (the control tarball holds only control). One added later runs under
    // dpkg --root chrooted into ROOT, so this test would run it: it must work there.
    const controlMembers = execFileSync('sh', ['-c', 'dpkg-deb --ctrl-tarfile "$0" | tar -t', deb], {
      encoding: 'utf8',
    });
    assert.deepEqual(controlMembers.trim().split('\n').sort(), ['./', './control']);

    const root = join(dir, 'root');
    // An empty dpkg database.
    const admin = join(root, 'var/lib/dpkg');
    for (const d of ['info', 'updates', 'triggers', '../../log'])
      mkdirSync(join(admin, d), { recursive: true });
    for (const f of ['status', 'available']) writeFileSync(join(admin, f), '');
    // What the Depends would bring (node, libpcap, with their libraries), a shell for maintainer
    // scripts, and bash + man (with man-db's config) for the checks below. These are copied, not
    // packages in ROOT's database: that is why dpkg gets --force-depends, and the dependency
    // warnings are checked to be exactly these.
    copyWithLibs(root, process.execPath);
    if (process.execPath !== '/usr/bin/node') copyWithLibs(root, '/usr/bin/node');
    copyWithLibs(root, capNode(), false); // libpcap and what it links; cap.node itself is in the package
    for (const b of ['/bin/sh', '/bin/bash', '/usr/bin/man']) copyWithLibs(root, b);
    for (const d of ['proc', 'sys', 'dev', 'tmp', 'etc/spa']) mkdirSync(join(root, d), { recursive: true });
    copyFileSync('/etc/manpath.config', join(root, 'etc/manpath.config'));

    const install = spawnSync(
      'dpkg',
      [`--root=${root}`, `--log=${join(root, 'var/log/dpkg.log')}`, '--force-depends', '-i', deb],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(install.status, 0, install.stderr);
    assert.match(install.stdout, /^Setting up spa-server \(\d+\.\d+\.\d+\) \.\.\.$/m);
    assert.deepEqual(
      [...install.stderr.matchAll(/Package (\S+) is not installed/g)].map((m) => m[1]),
      ['nodejs', 'libpcap0.8', 'nftables', 'iptables'],
      'the only forced dependencies are the ones copied in (nftables | iptables: the check uses dry-run)',
    );
    const status = execFileSync('dpkg', [`--root=${root}`, '-s', 'spa-server'], { encoding: 'utf8' });
    assert.match(status, /^Status: install ok installed$/m);
    const files = execFileSync('dpkg', [`--root=${root}`, '-L', 'spa-server'], { encoding: 'utf8' });
    for (const f of [
      '/usr/bin/spa-server',
      '/usr/share/man/man8/spa-server.8.gz',
      '/lib/systemd/system/spa-server.service',
    ])
      assert.ok(files.split('\n').includes(f), `dpkg -L lists ${f}`);
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

    const inRoot = (command: string) =>
      spawnSync(
        'unshare',
        [
          '--mount',
          '--propagation',
          'private',
          'sh',
          '-c',
          `mount --bind /proc "$0/proc" && mount --bind /sys "$0/sys" && mount --bind /dev "$0/dev" && exec chroot "$0" ${command}`,
          root,
        ],
        {
          encoding: 'utf8',
          timeout: 60_000,
          env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/tmp', LANG: 'C' },
        },
      );
    const init = inRoot(
      '/usr/bin/spa-server init -i lo -s ssh=22/tcp --name web1 --host 192.0.2.1 --firewall dry-run --state-dir /tmp/state',
    );
    assert.equal(init.status, 0, init.stderr);
    assert.match(init.stdout, /wrote \/etc\/spa\/server\.toml \(mode 0600\)/);
    const check = inRoot('/usr/bin/spa-server check');
    assert.equal(check.status, 0, `${check.stdout}\n${check.stderr}`);
    assert.match(check.stdout, /^ok +capture on lo: libpcap opens it/m);
    assert.match(check.stderr, /all checks passed/);

    const man = inRoot('/usr/bin/man -w spa-server');
    assert.equal(man.stdout.trim(), '/usr/share/man/man8/spa-server.8.gz', man.stderr);
    assert.ok(existsSync(join(root, 'usr/share/man/man1/spa-client.1.gz')));
    const completion = inRoot(
      `/bin/bash -c 'source /usr/share/bash-completion/completions/spa-server; COMP_WORDS=(spa-server add-c); COMP_CWORD=1; _spa_server; echo "\${COMPREPLY[@]}"; COMP_WORDS=(spa-server add-client --o); COMP_CWORD=2; _spa_server; echo "\${COMPREPLY[@]}"'`,
    );
    assert.deepEqual(completion.stdout.trim().split('\n'), ['add-client', '--out']);
  });
});
