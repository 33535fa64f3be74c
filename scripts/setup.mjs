#!/usr/bin/env node
// Bootstrap for `npm test`, `npm run demo` and `npm run bench` on a fresh Debian 12 machine.
// Idempotent: every step checks first and does nothing when already done.
// Uses only Node's standard library, because nothing else is installed yet.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PNPM_VERSION = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split(
  '@',
)[1];

// Debian packages: libpcap-dev to build `cap`; the rest for the namespace lab and firewall backends.
const SYSTEM_PACKAGES = [
  'libpcap-dev',
  'python3',
  'make',
  'g++',
  'iproute2',
  'nftables',
  'iptables',
  'ipset',
  'openssh-client',
  'openssh-server',
  'tcpdump', // the demo's eavesdropper
  'netcat-openbsd', // the demo's connection checks
  'man-db', // the .deb test: man -w spa-server in the installed root
  // the benchmark's smoke run (part of npm test) compares with fwknopd and floods with a C sender
  'fwknop-server',
  'fwknop-client',
  'gcc',
];

function step(msg) {
  process.stdout.write(`[setup] ${msg}\n`);
}

function fail(msg, hint) {
  process.stderr.write(`\n[setup] FAILED: ${msg}\n${hint ? `[setup] how to fix: ${hint}\n` : ''}`);
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: opts.quiet ? 'pipe' : 'inherit', encoding: 'utf8', ...opts });
  return r;
}

function checkNode() {
  const [maj, min] = process.versions.node.split('.').map(Number);
  if (maj < 20 || (maj === 20 && min < 19)) {
    fail(
      `Node ${process.versions.node} is too old`,
      'install Node.js 20.19 or newer (the @noble libraries need it)',
    );
  }
}

function missingDebianPackages(pkgs) {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
  const r = run('dpkg-query', ['-W', '-f=${Package} ${Status}\n', ...pkgs], { quiet: true });
  if (r.error) return null; // not a Debian system
  const installed = new Set(
    r.stdout
      .split('\n')
      .filter((l) => l.endsWith('install ok installed'))
      .map((l) => l.split(' ')[0]),
  );
  return pkgs.filter((p) => !installed.has(p));
}

function ensureSystemPackages() {
  const missing = missingDebianPackages(SYSTEM_PACKAGES);
  if (missing === null) {
    step(
      'not a Debian system (no dpkg-query): skipping system packages; install libpcap-dev, nftables, iproute2 yourself',
    );
    return;
  }
  if (missing.length === 0) {
    step('system packages present');
    return;
  }
  if (process.getuid?.() !== 0) {
    fail(
      `missing Debian packages: ${missing.join(' ')}`,
      `run as root, or install them first: sudo apt-get install -y ${missing.join(' ')}`,
    );
  }
  step(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (run('apt-get', ['update'], { env }).status !== 0) {
    fail(
      'apt-get update failed',
      'check the machine can reach its Debian mirror (see /etc/apt/sources.list*)',
    );
  }
  const r = run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env });
  if (r.status !== 0) fail(`apt-get install ${missing.join(' ')} failed`, 'read the apt output above');
  // Daemons' postinst scripts may start them on the host; the lab only uses their binaries.
  if (missing.includes('openssh-server')) run('systemctl', ['disable', '--now', 'ssh'], { quiet: true });
  if (missing.includes('fwknop-server'))
    run('systemctl', ['disable', '--now', 'fwknop-server'], { quiet: true });
}

function pnpmCommand() {
  const r = run('pnpm', ['--version'], { quiet: true });
  if (!r.error && r.status === 0 && r.stdout.trim() === PNPM_VERSION) return ['pnpm'];
  step(`installing pnpm@${PNPM_VERSION}`);
  const g = run('npm', ['install', '-g', `pnpm@${PNPM_VERSION}`], { quiet: true });
  const again = run('pnpm', ['--version'], { quiet: true });
  if (g.status === 0 && !again.error && again.stdout.trim() === PNPM_VERSION) return ['pnpm'];
  step(`global install not possible; using npx pnpm@${PNPM_VERSION}`);
  return ['npx', '--yes', `pnpm@${PNPM_VERSION}`];
}

function newer(a, b) {
  return existsSync(a) && existsSync(b) && statSync(a).mtimeMs >= statSync(b).mtimeMs;
}

/**
 * Whether the server's `cap` is installed, patched as the lockfile says and compiled. Resolved
 * the way Node resolves it (pnpm names the directory after the patch hash, so no fixed path).
 */
function capBuilt() {
  let dir;
  try {
    dir = realpathSync(
      dirname(createRequire(join(root, 'packages/server/package.json')).resolve('cap/package.json')),
    );
  } catch {
    return false;
  }
  const lock = readFileSync(join(root, 'pnpm-lock.yaml'), 'utf8');
  const hash = /^patchedDependencies:\n(?:\s+.*\n)*?\s+cap@[^:]+: (\w+)/m.exec(lock)?.[1];
  const patched = hash === undefined || dir.includes(`patch_hash=${hash}`);
  return patched && existsSync(join(dir, 'build/Release/cap.node'));
}

function installDependencies(pnpm) {
  const env = { ...process.env };
  // pnpm's node-gyp ignores npm's nodedir setting and would try to download headers.
  if (existsSync('/usr/include/node/node.h')) env.npm_config_nodedir = '/usr';
  const marker = join(root, 'node_modules', '.modules.yaml');
  if (newer(marker, join(root, 'pnpm-lock.yaml')) && capBuilt()) {
    step('dependencies up to date');
    return;
  }
  step('installing dependencies (pnpm install --frozen-lockfile)');
  const r = run(pnpm[0], [...pnpm.slice(1), 'install', '--frozen-lockfile'], { cwd: root, env });
  if (r.status !== 0) {
    fail(
      'pnpm install failed',
      'the native module `cap` needs libpcap-dev, python3, make and g++; see the output above',
    );
  }
}

function build(pnpm) {
  step('building (tsc -b)');
  const r = run(pnpm[0], [...pnpm.slice(1), 'exec', 'tsc', '-b'], { cwd: root });
  if (r.status !== 0) fail('TypeScript build failed', 'fix the type errors printed above');
  // spa-client as one module: it starts before every ssh, so load time matters.
  const b = run(process.execPath, [join(root, 'packages/client/scripts/bundle.mjs')], { cwd: root });
  if (b.status !== 0) fail('bundling spa-client failed', 'see the esbuild output above');
  // The systemd notification addon (packages/server/native/sd_notify.c): a few lines of C.
  const n = run(process.execPath, [join(root, 'packages/server/native/build.mjs')], { cwd: root });
  if (n.status !== 0)
    fail('building packages/server/native/sd_notify.node failed', 'needs cc (gcc) and Node headers');
}

checkNode();
ensureSystemPackages();
const pnpm = pnpmCommand();
installDependencies(pnpm);
build(pnpm);
step('ready');
