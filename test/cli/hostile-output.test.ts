/**
 * Text output cannot be forged: newlines, terminal escapes and bidi controls in manifest
 * values, tool errors and model output are escaped, so one diagnostic, row or progress line
 * stays one line, and no escape sequence reaches the terminal. `--json` keeps values exact.
 * Hostile manifests end in located diagnostics, never a stack trace. No Temporal needed.
 */
import { describe, expect, it } from 'vitest';
import type { RunOutcome } from '../../client/orch-client.ts';
import { createProgressView } from '../../cli/progress-view.ts';
import { renderDiagnostic } from '../../cli/render-diagnostics.ts';
import { renderOutcome } from '../../cli/render-outcome.ts';
import { renderColumns } from '../../cli/render-table.ts';
import { escapeBlock, escapeLine } from '../../cli/render-text.ts';
import type { RunProgress, UsageTotals } from '../../contract/run-io.ts';
import { diagnosticHeads, orch, singleJson, STACK_FRAME } from './cli-harness.ts';

const HOSTILE = 'test/fixtures/manifests/hostile';
const CONTROLS = `${HOSTILE}/control-characters.yaml`;
/** Anything a terminal acts on: C0 (but newline), DEL, C1, line separators, bidi controls. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;

const usage = (totalTokens: number): UsageTotals => ({
  inputTokens: totalTokens,
  outputTokens: 0,
  totalTokens,
  modelCalls: 1,
  toolCalls: 0,
  toolErrors: 0,
  costUsd: 0,
});

describe('escapeLine and escapeBlock', () => {
  it('make every control visible, and leave other text alone', () => {
    expect(escapeLine('a\nb\rc\td\x1b[2Ke\x00f\x7fg\x9bh\u202Ei\u2028j')).toBe('a\\nb\\rc\\td\\x1b[2Ke\\x00f\\x7fg\\x9bh\\u{202e}i\\u{2028}j');
    expect(escapeLine('plain: ünïcode, emoji 👩‍💻, C:\\path')).toBe('plain: ünïcode, emoji 👩‍💻, C:\\path');
    expect(escapeBlock('line one\n\tline two\x1b[1A\r')).toBe('line one\n\tline two\\x1b[1A\\r');
  });
});

describe('orch validate on hostile manifests', () => {
  it('prints one line per diagnostic, escaped, at the right locations', async () => {
    const { code, stderr } = await orch(['validate', CONTROLS], { temporal: false });
    expect(code).toBe(1);
    const lines = stderr.split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(4);
    // Each line starts with its own location: the forged one sits escaped inside the first.
    expect(lines[0]).toMatch(new RegExp(`^${CONTROLS}:3:7: error UNKNOWN_KIND: unknown kind "Agentz\\\\nmanifests\\.yaml:1:1: warning`));
    expect(lines[1]!.startsWith(`${CONTROLS}:15:30: error UNKNOWN_REFERENCE: `)).toBe(true);
    expect(lines[2]!.startsWith(`${CONTROLS}:15:61: error UNKNOWN_REFERENCE: `)).toBe(true);
    expect(lines[3]).toBe('3 errors, 0 warnings');
    expect(stderr).not.toMatch(RAW_CONTROL);
    expect(stderr).toContain('\\x1b[2K');
  });

  it('--json keeps the values exact (JSON escapes them)', async () => {
    const { stdout } = await orch(['validate', '--json', CONTROLS], { temporal: false });
    const { diagnostics } = singleJson(stdout);
    expect(diagnostics[0].message).toContain('\nmanifests.yaml:1:1: warning');
    expect(diagnostics[1].message).toContain('\x1b[8m');
  });

  it.each([
    ['validate', 'task-input-loop.yaml', 'YAML_ALIAS_CYCLE', 20, 33],
    ['compile', 'task-input-loop.yaml', 'YAML_ALIAS_CYCLE', 20, 33],
    ['validate', 'input-schema-loop.yaml', 'YAML_ALIAS_CYCLE', 12, 60],
    ['compile', 'input-schema-loop.yaml', 'YAML_ALIAS_CYCLE', 12, 60],
    ['validate', 'prototype-keys.yaml', 'UNKNOWN_FIELD', 14, 3],
  ])('%s %s: %s at %i:%i, exit 1, no stack trace', async (command, name, diagnostic, line, column) => {
    const file = `${HOSTILE}/${name}`;
    const { code, stdout, stderr } = await orch([command, file], { temporal: false });
    expect(code).toBe(1);
    expect(diagnosticHeads(stderr)).toContain(`${file}:${line}:${column}: error ${diagnostic}`);
    expect(stderr).not.toMatch(STACK_FRAME);
    expect(stderr).not.toContain('Maximum call stack');
    expect(stdout).toBe('');
  });
});

describe('rendering what runs, tools and models said', () => {
  it('a diagnostic whose file name holds a newline is still one line', () => {
    const line = renderDiagnostic({ code: 'INVALID_VALUE', severity: 'error', message: 'bad\x1b]0;title\x07', location: { file: 'a\nb.yaml', line: 1, column: 2 } });
    expect(line).toBe('a\\nb.yaml:1:2: error INVALID_VALUE: bad\\x1b]0;title\\x07');
  });

  it('renderOutcome escapes names and failures, and output keeps only its newlines', () => {
    const outcome = {
      workflowId: 'run-1',
      runId: 'r',
      status: 'succeeded',
      output: 'first line\nUsage:\x1b[2K\x1b[1A\u202Eforged',
      failure: null,
      usage: { total: usage(3), byAgent: { 'writer\nrun-1 failed': usage(3) } },
      activations: [],
      runAttempts: 1,
      turnLimitReached: false,
      executions: 1,
      lateArrivals: [{ agent: 'join', from: 'a\rb', outcome: 'arrived' }],
    } as unknown as RunOutcome;
    const text = renderOutcome(outcome, null);
    expect(text).not.toMatch(RAW_CONTROL);
    const lines = text.split('\n');
    expect(lines).toContain('first line');
    expect(lines).toContain('Usage:\\x1b[2K\\x1b[1A\\u{202e}forged');
    expect(lines).toContainEqual(expect.stringMatching(/^writer\\nrun-1 failed\s+1\s/));
    expect(lines).toContain('late arrivals (after a quorum fired): a\\rb → join');
    expect(lines.filter((line) => line.startsWith('run-1 failed'))).toEqual([]);
  });

  it('a failed run prints its failure message on one line', () => {
    const outcome = {
      workflowId: 'run-2',
      runId: 'r',
      status: 'failed',
      output: null,
      failure: { type: 'TOOL_UNAVAILABLE', message: 'upstream said:\nrun-2 succeeded\x1b[8m', agent: 'a', deadLettered: false },
      usage: { total: usage(0), byAgent: {} },
      activations: [],
      runAttempts: 1,
      turnLimitReached: false,
      executions: 1,
      lateArrivals: [],
    } as unknown as RunOutcome;
    const lines = renderOutcome(outcome, null).split('\n');
    expect(lines[1]).toBe('failure TOOL_UNAVAILABLE: upstream said:\\nrun-2 succeeded\\x1b[8m');
    expect(lines[0]).toBe('run run-2 failed');
    expect(lines.filter((line) => line.startsWith('run-2'))).toEqual([]);
  });

  it('renderColumns escapes cells before it aligns them', () => {
    const text = renderColumns(['kind', 'subject'], [['tool\ncall', 'x\x1b[31m'], ['model', 'y']]);
    expect(text.split('\n')).toEqual(['kind        subject', 'tool\\ncall  x\\x1b[31m', 'model       y', '']);
  });

  it('progress lines stay one line each, piped or redrawn on a terminal', () => {
    const progress = {
      phase: 'running',
      usage: usage(5),
      agents: {
        'a\x1b[2J': {
          phase: 'running',
          activations: 1,
          step: 2,
          lastAction: 'calling\nfake',
          lastTool: { name: 'fetch', durationMs: null, error: 'boom\n\x1b[1A\x1b[2Kdone' },
          usage: usage(5),
        },
      },
    } as unknown as RunProgress;
    const piped: string[] = [];
    createProgressView((text) => piped.push(text), false).update(progress);
    expect(piped).toHaveLength(1);
    expect(piped[0]!.split('\n')).toHaveLength(2);
    expect(piped[0]).not.toMatch(RAW_CONTROL);

    const drawn: string[] = [];
    const view = createProgressView((text) => drawn.push(text), true);
    view.update(progress);
    view.update(progress);
    // Two lines per frame (the agent and the total): the second frame moves up exactly two.
    expect(drawn[0]!.split('\n')).toHaveLength(3);
    expect(drawn[1]!.startsWith('\x1b[2A')).toBe(true);
    for (const frame of drawn) expect(frame.replaceAll('\x1b[2K', '').replace(/^\x1b\[\d+A/, '')).not.toMatch(RAW_CONTROL);
  });
});
