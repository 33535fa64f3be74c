#!/usr/bin/env node
// spa-client runs before every ssh, so start-up matters: load the one-file bundle
// (scripts/bundle.mjs) when it was built, else the compiled modules.
let cli;
try {
  cli = await import('../dist/spa-client.mjs');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
  cli = await import('../dist/src/cli.js');
}
process.exitCode = await cli.main(process.argv);
