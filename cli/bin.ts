#!/usr/bin/env node
// V8's compile cache (Node's own, checked against each module's source) roughly halves the
// time to load the CLI's modules on every run after the first; it must be on before they load.
import { enableCompileCache } from 'node:module';

enableCompileCache();
const { main } = await import('./main.ts');
const { processIo } = await import('./io.ts');

process.exitCode = await main(process.argv.slice(2), processIo());
// Temporal's native runtime and open sockets may keep the loop alive after a command is done.
process.exit();
