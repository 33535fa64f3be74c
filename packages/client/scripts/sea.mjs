#!/usr/bin/env node
// spa-client as one Linux x64 executable that runs without Node (Node's single executable
// applications): esbuild bundles the client as CommonJS (what Node 20's SEA runs), node
// --experimental-sea-config turns it into a blob, and postject injects the blob into a copy
// of this node binary. The result needs only libc and libstdc++.
//
//   node packages/client/scripts/sea.mjs [OUT_DIR]      (after pnpm exec tsc -b)
//
// postject comes from the npm registry at a pinned version (npx), only for this build.
// Prints the executable's path on stdout and its size on stderr.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const POSTJECT = 'postject@1.0.0-alpha.6';
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

if (process.platform !== 'linux' || process.arch !== 'x64') {
  process.stderr.write(
    `sea: builds on Linux x64 only (this is ${process.platform} ${process.arch}); skipped\n`,
  );
  process.exit(0);
}
const clientDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = resolve(process.argv[2] ?? join(clientDir, 'dist'));
const entry = join(clientDir, 'dist/src/cli.js');
if (!existsSync(entry)) throw new Error('sea: dist/src/cli.js is missing; build first (pnpm exec tsc -b)');
const version = JSON.parse(readFileSync(join(clientDir, 'package.json'), 'utf8')).version;

const work = mkdtempSync(join(tmpdir(), 'spa-client-sea-'));
try {
  const main = join(work, 'spa-client.cjs');
  await build({
    stdin: {
      contents: `import { main } from ${JSON.stringify(entry)};\nmain(process.argv).then((code) => { process.exitCode = code; });\n`,
      resolveDir: clientDir,
      loader: 'js',
    },
    outfile: main,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    define: { __SPA_CLIENT_VERSION__: JSON.stringify(version) },
    logLevel: 'error',
    legalComments: 'eof',
  });
  const blob = join(work, 'sea-prep.blob');
  const config = join(work, 'sea-config.json');
  writeFileSync(config, JSON.stringify({ main, output: blob, disableExperimentalSEAWarning: true }));
  execFileSync(process.execPath, ['--experimental-sea-config', config], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  mkdirSync(outDir, { recursive: true });
  const exe = join(outDir, `spa-client-${version}-linux-x64`);
  copyFileSync(process.execPath, exe);
  // postject warns about ELF note sections it does not name; only a failure is news.
  try {
    execFileSync('npx', ['--yes', POSTJECT, exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    process.stderr.write(String(e.stderr ?? e.message));
    throw new Error('sea: postject failed');
  }
  process.stderr.write(
    `spa-client executable: ${exe}, ${(statSync(exe).size / 1048576).toFixed(1)} MB (node ${process.version} inside)\n`,
  );
  process.stdout.write(`${exe}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
