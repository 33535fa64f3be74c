#!/usr/bin/env node
// Builds native/build/sd_notify.node (systemd notification, see sd_notify.c) with the C
// compiler and Node's own headers (node_api.h): no node-gyp, no download. Idempotent: does
// nothing when the output is newer than the source. Exit 1 with the reason if it cannot.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, 'sd_notify.c');
const output = join(here, 'build', 'sd_notify.node');

if (existsSync(output) && statSync(output).mtimeMs >= statSync(source).mtimeMs) process.exit(0);
const includes = [join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node'];
const include = includes.find((d) => existsSync(join(d, 'node_api.h')));
if (!include) {
  process.stderr.write(
    `sd_notify: no node_api.h in ${includes.join(' or ')} (they come with Node.js: its include/node directory)\n`,
  );
  process.exit(1);
}
mkdirSync(dirname(output), { recursive: true });
const cc = process.env.CC ?? 'cc';
const r = spawnSync(
  cc,
  ['-shared', '-fPIC', '-O2', '-Wall', '-Werror', `-I${include}`, '-o', output, source],
  {
    stdio: 'inherit',
  },
);
if (r.error || r.status !== 0) {
  process.stderr.write(`sd_notify: ${cc} failed (${r.error?.message ?? `exit ${r.status}`})\n`);
  process.exit(1);
}
