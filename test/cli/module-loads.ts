/**
 * Runs `main(argv)` of the CLI in this process and prints, as JSON, its exit code and every
 * module URL resolved while it ran (a Node module hook sees each one): evidence of what a
 * command loads. With `--import-only <module>` it imports that module instead of running main.
 */
import { registerHooks } from 'node:module';
import type { CliIo } from '../../cli/io.ts';

const resolved = new Set<string>();
registerHooks({
  resolve(specifier, context, nextResolve) {
    const result = nextResolve(specifier, context);
    resolved.add(result.url);
    return result;
  },
});

const quietIo: CliIo = { stdout: () => {}, stderr: () => {}, env: process.env, isTTY: false };
const argv = process.argv.slice(2);
let code = 0;
if (argv[0] === '--import-only') {
  await import(new URL(argv[1]!, import.meta.url).href);
} else {
  const { main } = await import('../../cli/main.ts');
  code = await main(argv, quietIo);
}
process.stdout.write(`${JSON.stringify({ code, modules: [...resolved] })}\n`);
process.exit(0);
