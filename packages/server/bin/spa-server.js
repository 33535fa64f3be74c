#!/usr/bin/env node
// spa-server: see src/cli/index.ts. Exits explicitly so that no leftover handle keeps it alive.
import { main } from '../dist/src/cli/index.js';

process.exit(await main(process.argv.slice(2)));
