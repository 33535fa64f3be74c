#!/usr/bin/env node
// Bundle spa-client into one ES module, dist/spa-client.mjs, for start-up time: spa-client
// runs before every ssh, and Node spends more time resolving and loading ~60 small modules
// than running them (≈ 60 ms of a ≈ 170 ms start on a 2-core VM). The bin loads the bundle
// when it exists, else the compiled modules in dist/src.
//
//   node packages/client/scripts/bundle.mjs     (after pnpm exec tsc -b)
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const clientDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(clientDir, 'dist/src/cli.js');
if (!existsSync(entry)) {
  process.stderr.write(
    'bundle: dist/src/cli.js is missing; build first (pnpm exec tsc -b packages/client)\n',
  );
  process.exit(1);
}
await build({
  entryPoints: [entry],
  outfile: join(clientDir, 'dist/spa-client.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  legalComments: 'eof',
});
