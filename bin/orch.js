#!/usr/bin/env node
// The `orch` command. An installed package runs its compiled JavaScript; a source checkout
// (which has cli/bin.ts and no build) runs the TypeScript sources directly.
import { existsSync } from 'node:fs';

const source = new URL('../cli/bin.ts', import.meta.url);
await import(existsSync(source) ? source.href : new URL('../dist/cli/bin.js', import.meta.url).href);
