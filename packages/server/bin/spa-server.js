#!/usr/bin/env node
// spa-server: see src/cli/index.ts. Exits explicitly so that no leftover handle keeps it alive.
// `run` holds SIGHUP/SIGTERM/SIGINT/SIGUSR1 from its first line, before the rest loads: a
// reload or stop that arrives while the daemon starts is applied once it can be (daemon/signal-hold.ts).
import { holdSignals } from '../dist/src/daemon/signal-hold.js';

if (process.argv[2] === 'run') holdSignals();
const { main } = await import('../dist/src/cli/index.js');
process.exit(await main(process.argv.slice(2)));
