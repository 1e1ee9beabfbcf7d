/**
 * Declaring a command loads nothing it needs only to run: `orch --help` and `orch validate`
 * load neither the worker (Temporal's native worker, webpack) nor the Temporal client. Each
 * case runs in a fresh process whose module hook lists every module resolved.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const probe = fileURLToPath(new URL('./module-loads.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));

function modulesLoadedBy(args: string[]): { code: number; modules: string[] } {
  const out = execFileSync(process.execPath, [probe, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ORCH_DEBUG: '' } });
  return JSON.parse(out.trim().split('\n').pop()!) as { code: number; modules: string[] };
}

const WORKER = /\/node_modules\/@temporalio\/worker\/|\/worker\/index\.ts$|\/worker\/create-worker\.ts$/;
const CLIENT = /\/node_modules\/@temporalio\/client\//;

describe('what a command loads', () => {
  it('the probe sees the worker where it is loaded (the check can fail)', () => {
    const { modules } = modulesLoadedBy(['--import-only', '../../cli/commands/run-action.ts']);
    expect(modules.some((url) => WORKER.test(url))).toBe(true);
    expect(modules.some((url) => CLIENT.test(url))).toBe(true);
  });

  it('the worker and its activities load the MCP SDK, PGlite, the providers and pg only when a run uses them', () => {
    const { modules } = modulesLoadedBy(['--import-only', '../../cli/commands/run-action.ts']);
    expect(modules.some((url) => url.endsWith('/activities/mcp-connections.ts'))).toBe(true);
    expect(modules.some((url) => url.endsWith('/activities/model-provider.ts'))).toBe(true);
    expect(modules.some((url) => url.endsWith('/activities/blob-store-postgres.ts'))).toBe(true);
    const optional = /\/node_modules\/(@modelcontextprotocol\/|@electric-sql\/|@ai-sdk\/(openai|anthropic|azure|openai-compatible)\/|pg\/)/;
    expect(modules.filter((url) => optional.test(url))).toEqual([]);
  });

  it('orch --help loads neither the worker nor the Temporal client, and lists every command', () => {
    const { code, modules } = modulesLoadedBy(['--help']);
    expect(code).toBe(0);
    expect(modules.filter((url) => WORKER.test(url) || CLIENT.test(url))).toEqual([]);
    // The commands' own modules are loaded (help lists them), not what they run.
    expect(modules.some((url) => url.endsWith('/cli/commands/run.ts'))).toBe(true);
    expect(modules.some((url) => url.endsWith('/cli/commands/run-action.ts'))).toBe(false);
  });

  it('orch validate loads neither the worker nor the Temporal client, and validates', () => {
    const { code, modules } = modulesLoadedBy(['validate', 'examples/research-pipeline']);
    expect(code).toBe(0);
    expect(modules.some((url) => url.endsWith('/compiler/index.ts'))).toBe(true);
    expect(modules.filter((url) => WORKER.test(url) || CLIENT.test(url))).toEqual([]);
  });

  it('orch run --help loads no worker either', () => {
    const { code, modules } = modulesLoadedBy(['run', '--help']);
    expect(code).toBe(0);
    expect(modules.filter((url) => WORKER.test(url))).toEqual([]);
  });
});
