#!/usr/bin/env node
// spa-server_<version>_amd64.deb, built with dpkg-deb from the compiled tree:
//   /usr/lib/spa-server/dist/src/cli/spa-server.mjs  the server bundled into one ES module (esbuild), cap
//                                        external; at this depth so that daemon/notify.ts finds its addon
//   /usr/lib/spa-server/native/build/sd_notify.node  the systemd notification addon (Type=notify)
//   /usr/lib/spa-server/node_modules/cap the libpcap binding as compiled here (lib/ + build/Release/cap.node),
//                                        taken from wherever node_modules resolves `cap` (pnpm store, patched or not)
//   /usr/bin/spa-server                  exec node on the bundle
//   /lib/systemd/system/spa-server.service  the unit, ExecStart pointing at /usr/bin/spa-server
//   /usr/share/man/man8/spa-server.8.gz, man1/spa-client.1.gz  generated from the CLIs' --help (man.mjs)
//   /usr/share/bash-completion/completions/spa-server, spa-client  generated from the CLIs (completion.mjs)
//
//   node packages/server/scripts/deb.mjs [OUT_DIR]     (after pnpm exec tsc -b)
//
// Prints the .deb's path on stdout and its size on stderr.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { bashCompletion } from './completion.mjs';
import { manPage } from './man.mjs';

const serverDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(serverDir, '../..');
const clientDir = join(root, 'packages/client');
const outDir = resolve(process.argv[2] ?? join(root, 'dist'));
const version = JSON.parse(readFileSync(join(serverDir, 'package.json'), 'utf8')).version;
const entry = join(serverDir, 'dist/src/cli/index.js');
// esbuild is the client's dev dependency (it bundles spa-client too): load it from there.
const esbuild = await import(createRequire(join(clientDir, 'package.json')).resolve('esbuild'));
const build = esbuild.build ?? esbuild.default.build;
if (!existsSync(entry)) throw new Error('deb: build first (pnpm exec tsc -b)');

/** The package directory of `cap` as Node resolves it from the server (any store layout). */
function capDir() {
  let d = dirname(createRequire(join(serverDir, 'package.json')).resolve('cap'));
  while (!existsSync(join(d, 'package.json'))) d = dirname(d);
  if (!existsSync(join(d, 'build/Release/cap.node')))
    throw new Error(`deb: ${d} has no build/Release/cap.node: cap was not compiled (see docs/install.md)`);
  return d;
}

const stage = mkdtempSync(join(tmpdir(), 'spa-server-deb-'));
const pkgRoot = join(stage, `spa-server_${version}_amd64`);
try {
  const lib = join(pkgRoot, 'usr/lib/spa-server');
  mkdirSync(lib, { recursive: true });
  await build({
    stdin: {
      contents: `import { main } from ${JSON.stringify(entry)};\nprocess.exit(await main(process.argv.slice(2)));\n`,
      resolveDir: serverDir,
      loader: 'js',
    },
    outfile: join(lib, 'dist/src/cli/spa-server.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['cap'],
    // CommonJS dependencies (pino) require Node's built-ins: give the ES module a require.
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    logLevel: 'error',
    legalComments: 'eof',
  });
  // daemon/notify.ts loads '../../../native/build/sd_notify.node' relative to the module: keep that shape.
  const addon = join(serverDir, 'native/build/sd_notify.node');
  if (!existsSync(addon))
    throw new Error('deb: native/build/sd_notify.node is missing (node scripts/setup.mjs builds it)');
  cpSync(addon, join(lib, 'native/build/sd_notify.node'));
  const cap = capDir();
  for (const f of ['package.json', 'LICENSE', 'lib', 'build/Release/cap.node'])
    cpSync(join(cap, f), join(lib, 'node_modules/cap', f), { recursive: true, dereference: true });

  const bin = join(pkgRoot, 'usr/bin/spa-server');
  mkdirSync(dirname(bin), { recursive: true });
  writeFileSync(bin, '#!/bin/sh\nexec /usr/bin/node /usr/lib/spa-server/dist/src/cli/spa-server.mjs "$@"\n');
  chmodSync(bin, 0o755);

  const unit = readFileSync(join(serverDir, 'systemd/spa-server.service'), 'utf8').replace(
    /^ExecStart=\S+/m,
    'ExecStart=/usr/bin/spa-server',
  );
  mkdirSync(join(pkgRoot, 'lib/systemd/system'), { recursive: true });
  writeFileSync(join(pkgRoot, 'lib/systemd/system/spa-server.service'), unit);

  const { buildProgram: serverProgram } = await import(join(serverDir, 'dist/src/cli/index.js'));
  const { buildProgram: clientProgram } = await import(join(clientDir, 'dist/src/cli.js'));
  const quietIo = { out: () => {}, err: () => {}, env: {} };
  const server = serverProgram(quietIo, () => {});
  const client = clientProgram(async () => {});
  const date = new Date().toISOString().slice(0, 10);
  for (const [prog, section, what] of [
    [server, 8, 'single-packet authorization server'],
    [client, 1, 'open ports guarded by spa-server with one encrypted packet'],
  ]) {
    const dir = join(pkgRoot, `usr/share/man/man${section}`);
    mkdirSync(dir, { recursive: true });
    const page = manPage(prog, { section, version, date, description: what });
    writeFileSync(join(dir, `${prog.name()}.${section}.gz`), gzipSync(page));
  }
  const completions = join(pkgRoot, 'usr/share/bash-completion/completions');
  mkdirSync(completions, { recursive: true });
  for (const prog of [server, client]) writeFileSync(join(completions, prog.name()), bashCompletion(prog));

  const docDir = join(pkgRoot, 'usr/share/doc/spa-server');
  mkdirSync(docDir, { recursive: true });
  cpSync(join(serverDir, 'README.md'), join(docDir, 'README.md'));

  mkdirSync(join(pkgRoot, 'DEBIAN'));
  const kb = Math.ceil(Number(execFileSync('du', ['-sk', pkgRoot], { encoding: 'utf8' }).split('\t')[0]));
  writeFileSync(
    join(pkgRoot, 'DEBIAN/control'),
    [
      'Package: spa-server',
      `Version: ${version}`,
      'Architecture: amd64',
      'Maintainer: spa developers <spa@example.org>',
      `Installed-Size: ${kb}`,
      'Depends: nodejs (>= 20.19), libpcap0.8, nftables | iptables',
      'Recommends: ipset',
      'Section: net',
      'Priority: optional',
      'Description: single-packet authorization server (libpcap + nftables)',
      ' spa-server hides services behind the firewall until a client sends one',
      ' encrypted, authenticated UDP packet (spa-client open). It listens on no',
      ' socket: it captures with libpcap and grants with nftables, iptables or ipset.',
      '',
    ].join('\n'),
  );
  mkdirSync(outDir, { recursive: true });
  const deb = join(outDir, `spa-server_${version}_amd64.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', pkgRoot, deb], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.stderr.write(`spa-server package: ${deb}, ${(statSync(deb).size / 1024).toFixed(0)} kB\n`);
  process.stdout.write(`${deb}\n`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
