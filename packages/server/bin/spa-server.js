#!/usr/bin/env node
// spa-server: see src/cli.ts. Exits explicitly so that no leftover handle keeps it alive.
import { main } from '../dist/src/cli.js';

process.exit(await main(process.argv.slice(2)));
