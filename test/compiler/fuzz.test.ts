/**
 * Seeded mutation fuzzing of the compiler through its public API. Every fixture manifest is
 * a seed; each input is one to three mutations of one (fuzz-mutations.ts), run through
 * `validate` and `compile`. Every input must end without a throw, in bounded time, with
 * diagnostics whose codes are in the closed set, which carry a location inside the file and
 * which the CLI prints as one inert line; a plan, when there is one, must be plain,
 * consistent JSON with a correct hash.
 *
 * ORCH_FUZZ_RUNS (default 2000) and ORCH_FUZZ_SEED (default 9) choose the run; a failure
 * prints the seed file, the mutations and where the input was written, to reproduce it.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson, compile, planHash, validate, type Diagnostic } from '../../compiler/index.ts';
import { DIAGNOSTIC_CODES } from '../../compiler/diagnostics.ts';
import { renderDiagnostic } from '../../cli/render-diagnostics.ts';
import type { Plan } from '../../contract/plan.ts';
import { mutate, Random } from './fuzz-mutations.ts';
import { ORLOJ_CORPUS } from './helpers.ts';

const RUNS = Number(process.env.ORCH_FUZZ_RUNS ?? 2000);
const SEED = Number(process.env.ORCH_FUZZ_SEED ?? 9);
/** Per input, validate and compile together; generous, as the suite shares two cores. */
const BOUND_MS = 5000;

/**
 * Seeds: every manifest file, and every directory's manifests joined into one multi-document
 * text, so that whole systems (which compile to plans) are mutated too.
 */
function seedsUnder(root: string): { path: string; text: string }[] {
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.(ya?ml|json)$/i.test(name))
    .sort();
  const byDirectory = new Map<string, string[]>();
  const seeds = files.map((name) => {
    const text = readFileSync(join(root, name), 'utf8');
    const dir = dirname(join(root, name));
    if (!name.endsWith('.json')) byDirectory.set(dir, [...(byDirectory.get(dir) ?? []), text]);
    return { path: join(root, name), text };
  });
  for (const [dir, texts] of byDirectory) if (texts.length > 1) seeds.push({ path: `${dir}/`, text: texts.join('\n---\n') });
  return seeds;
}

const CODES = new Set<string>(DIAGNOSTIC_CODES);
/** Newlines and escapes included: what must never reach a terminal raw from a diagnostic. */
const TERMINAL_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;

/** What is wrong with one diagnostic of an input written to `file` with `lineCount` lines, or null. */
function diagnosticProblem(d: Diagnostic, file: string, lineCount: number): string | null {
  if (!CODES.has(d.code)) return `unknown code ${String(d.code)}`;
  if (d.severity !== 'error' && d.severity !== 'warning') return `bad severity ${String(d.severity)}`;
  if (typeof d.message !== 'string' || d.message.length === 0) return `${d.code} without a message`;
  if (!d.location) return `${d.code} without a location`;
  const { line, column } = d.location;
  if (d.location.file !== file) return `${d.code} located in ${d.location.file}`;
  if (!Number.isInteger(line) || !Number.isInteger(column) || line < 1 || column < 1 || line > lineCount + 1) {
    return `${d.code} at ${line}:${column}, outside the file`;
  }
  // As the CLI prints it: one line, nothing a terminal would act on.
  if (TERMINAL_CONTROL.test(renderDiagnostic(d))) return `${d.code} renders with a raw control character`;
  return null;
}

/** What is wrong with a plan, or null: it must be JSON, hashed right, and refer only to its own agents. */
function planProblem(plan: Plan): string | null {
  const text = canonicalJson(plan);
  if (canonicalJson(JSON.parse(JSON.stringify(plan))) !== text) return 'the plan does not survive JSON';
  if (plan.hash !== planHash(plan)) return 'the plan hash does not match its content';
  const agents = Object.keys(plan.agents);
  for (const agent of plan.entryAgents) if (!Object.hasOwn(plan.agents, agent)) return `entry agent ${agent} is not in the plan`;
  if (canonicalJson(Object.keys(plan.graph)) !== canonicalJson(agents)) return 'graph nodes and agents differ';
  for (const [node, spec] of Object.entries(plan.graph)) {
    for (const edge of spec.edges) if (!Object.hasOwn(plan.agents, edge.to)) return `edge ${node} -> ${edge.to} leaves the plan`;
    for (const delegate of spec.delegates) if (!Object.hasOwn(plan.agents, delegate)) return `delegate ${delegate} is not in the plan`;
  }
  return null;
}

interface Finding {
  input: number;
  seed: string;
  applied: string[];
  problem: string;
  written: string;
}

describe('compiler fuzzing', () => {
  it(`survives ${RUNS} mutated manifests (seed ${SEED})`, { timeout: 600_000 }, async () => {
    const seeds = [...seedsUnder('test/fixtures/manifests'), ...seedsUnder(ORLOJ_CORPUS)];
    const random = new Random(SEED);
    const dir = mkdtempSync(join(tmpdir(), 'orch-fuzz-'));
    const file = join(dir, 'input.yaml');
    // Half the inputs come from seeds that compile, so mutations reach plan building too.
    const compilable: typeof seeds = [];
    for (const seed of seeds) {
      writeFileSync(file, seed.text);
      if ((await compile([file])).plan) compilable.push(seed);
    }
    const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort().join();
    const findings: Finding[] = [];
    let diagnostics = 0;
    let plans = 0;
    let slowest = 0;
    const started = performance.now();
    for (let input = 0; input < RUNS; input += 1) {
      const gentle = random.below(2) === 0 && compilable.length > 0;
      const seed = random.pick(gentle ? compilable : seeds);
      const { text, applied } = mutate(seed.text, random, gentle ? 1 : 3);
      writeFileSync(file, text);
      const lineCount = text.split('\n').length;
      const problems: string[] = [];
      const begun = performance.now();
      try {
        const validated = await validate([file]);
        const compiled = await compile([file]);
        for (const d of [...validated.diagnostics, ...compiled.diagnostics]) {
          const problem = diagnosticProblem(d, file, lineCount);
          if (problem) problems.push(problem);
        }
        diagnostics += validated.diagnostics.length + compiled.diagnostics.length;
        if (compiled.plan) {
          plans += 1;
          if (compiled.diagnostics.some((d) => d.severity === 'error')) problems.push('a plan despite errors');
          const problem = planProblem(compiled.plan);
          if (problem) problems.push(problem);
        }
      } catch (error) {
        problems.push(`threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
      }
      const elapsed = performance.now() - begun;
      slowest = Math.max(slowest, elapsed);
      if (elapsed > BOUND_MS) problems.push(`took ${Math.round(elapsed)} ms`);
      if (Object.getOwnPropertyNames(Object.prototype).sort().join() !== prototypeKeys) problems.push('Object.prototype was changed');
      if (problems.length > 0) {
        const written = join(dir, `finding-${input}.yaml`);
        writeFileSync(written, text);
        findings.push({ input, seed: seed.path, applied, problem: [...new Set(problems)].join('; '), written });
      }
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `fuzz: seed ${SEED}, ${RUNS} inputs from ${seeds.length} seeds (${compilable.length} compile) in ${seconds} s: ${findings.length} failing, ` +
        `${plans} plans, ${diagnostics} diagnostics, slowest input ${Math.round(slowest)} ms`,
    );
    for (const f of findings.slice(0, 10)) console.log(`  input ${f.input} (${f.seed}; ${f.applied.join(', ')}): ${f.problem} [${f.written}]`);
    expect(findings.map((f) => `${f.input}: ${f.problem}`)).toEqual([]);
  });
});
