#!/usr/bin/env node
import { main } from './main.ts';
import { processIo } from './io.ts';

process.exitCode = await main(process.argv.slice(2), processIo());
// Temporal's native runtime and open sockets may keep the loop alive after a command is done.
process.exit();
