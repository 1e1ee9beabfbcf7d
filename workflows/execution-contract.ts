/**
 * Orloj's execution contract (`execution.profile: contract`), checked over one activation.
 *
 * The model still decides what to call; the contract only judges. Every tool of
 * `tool_sequence` must succeed once, in any order (Orloj tracks the sequence as a set); a
 * call of a tool outside it is a violation; under `duplicate_tool_call_policy: deny` so is a
 * second call of a tool that already succeeded, whatever its arguments. The agent is done as
 * soon as every tool succeeded and one model output (its text, trimmed, not tool arguments,
 * not several outputs together) contains every `required_output_markers` entry. At
 * `max_steps` an unfinished sequence is a violation; markers alone missing are a warning.
 *
 * A sequence entry names a tool the way policy does (policies/tool-identity.ts): an offered
 * tool is that entry when one of its names folds to the entry's fold. A name that only looks
 * like an entry is another tool, and the message says so.
 *
 * Pure and deterministic: no I/O, clocks or randomness.
 */
import type { PlanExecutionContract } from '../contract/plan.ts';
import type { ContractEvent } from '../contract/run-io.ts';
import { compareToolNames, toolNameKey, type ToolNameKey } from '../policies/tool-identity.ts';

/** A tool the agent is offered: its model-facing name and every name it goes by (resource, key, server-side). */
export interface ContractTool {
  name: string;
  names: readonly string[];
}

/** A contract event, with the message a run failure or a model is given. */
export interface ContractFinding extends ContractEvent {
  message: string;
}

/** Most events one activation records; past it they still end the agent or are refused, but are not listed. */
export const MAX_CONTRACT_EVENTS = 50;

function quoted(items: readonly string[]): string {
  return items.map((item) => JSON.stringify(item)).join(', ');
}

export class ExecutionContract {
  /** Observed violations and warnings, for the activation's record. */
  readonly events: ContractEvent[] = [];
  /** Each entry as written, and its bare name (after `namespace/`), which look-alikes are also compared with. */
  private readonly entries: { entry: string; key: ToolNameKey; bare: ToolNameKey }[];
  /** Each offered tool's sequence entry (or null), and the entry it only looks like, by model-facing name. */
  private readonly matches = new Map<string, { entry: string | null; lookAlike: string | null }>();
  private readonly satisfied = new Set<string>();
  private readonly succeeded = new Set<string>();
  /** Calls of one tool wait for the one before (see `inTurn`). */
  private readonly chains = new Map<string, Promise<unknown>>();

  private readonly agent: string;
  readonly spec: PlanExecutionContract;

  constructor(agent: string, spec: PlanExecutionContract, tools: readonly ContractTool[]) {
    this.agent = agent;
    this.spec = spec;
    this.entries = spec.toolSequence.map((entry) => ({ entry, key: toolNameKey(entry), bare: toolNameKey(entry.slice(entry.indexOf('/') + 1)) }));
    for (const tool of tools) {
      const keys = [tool.name, ...tool.names].map(toolNameKey);
      const same = this.entries.find(({ key }) => keys.some((k) => compareToolNames(k, key) === 'same'));
      const alike = same ? undefined : this.entries.find(({ key, bare }) => keys.some((k) => compareToolNames(k, key) !== 'different' || compareToolNames(k, bare) !== 'different'));
      this.matches.set(tool.name, { entry: same?.entry ?? null, lookAlike: alike?.entry ?? null });
    }
  }

  get enforced(): boolean {
    return this.spec.onContractViolation === 'non_retryable_error';
  }

  get deniesDuplicates(): boolean {
    return this.spec.duplicateToolCallPolicy === 'deny';
  }

  /** A call of an offered tool that is outside the sequence, or null. Decided before anything is scheduled. */
  outsideSequence(step: number, tool: string): ContractFinding | null {
    const match = this.matches.get(tool);
    if (!match || match.entry !== null) return null;
    const actual = match.lookAlike ? `called ${tool}, which only looks like ${match.lookAlike}` : `called ${tool}`;
    return this.finding('violation', 'tool_not_in_sequence', step, tool, `a tool of tool_sequence [${quoted(this.spec.toolSequence)}]`, actual);
  }

  /** Under `deny`: a call of a tool that already succeeded in this activation, or null. */
  duplicate(step: number, tool: string): ContractFinding | null {
    if (!this.deniesDuplicates || !this.succeeded.has(tool)) return null;
    return this.finding('violation', 'duplicate_tool_call', step, tool, `${tool} called once (duplicate_tool_call_policy deny)`, `called ${tool} again after it succeeded`);
  }

  /**
   * Runs a call of `tool` after the calls of it asked for before, under `deny`: whether a
   * repeat is a duplicate depends on whether the one before succeeded. Deterministic: chained
   * in the order the model asked.
   */
  inTurn<T>(tool: string, run: () => Promise<T>): Promise<T> {
    if (!this.deniesDuplicates) return run();
    const before = this.chains.get(tool) ?? Promise.resolve();
    const result = before.then(run);
    this.chains.set(tool, result.catch(() => undefined));
    return result;
  }

  /** A call of `tool` succeeded: its entry is done. */
  recordSuccess(tool: string): void {
    this.succeeded.add(tool);
    const entry = this.matches.get(tool)?.entry;
    if (entry) this.satisfied.add(entry);
  }

  /** Entries of the sequence not yet done, in the order written. */
  remaining(): string[] {
    return this.spec.toolSequence.filter((entry) => !this.satisfied.has(entry));
  }

  /** Markers one model output lacks; a blank output lacks all of them (as in Orloj). */
  missingMarkers(text: string): string[] {
    const trimmed = text.trim();
    return this.spec.requiredOutputMarkers.filter((marker) => trimmed === '' || !trimmed.includes(marker));
  }

  /** Every tool done and this output holds every marker: the agent is done. */
  completeWith(text: string): boolean {
    return this.remaining().length === 0 && this.missingMarkers(text).length === 0;
  }

  /** Remaining entries no offered tool is: the agent can never finish them. */
  unreachable(): string[] {
    const reachable = new Set([...this.matches.values()].map((match) => match.entry));
    return this.remaining().filter((entry) => !reachable.has(entry));
  }

  /** The model answered while entries it cannot call remain (Orloj: "expected tool before completion"). */
  answeredEarly(step: number): ContractFinding | null {
    const unreachable = this.unreachable();
    if (unreachable.length === 0) return null;
    return this.finding('violation', 'tool_sequence_incomplete', step, null, `${quoted(unreachable)} before completion`, `answered without it: the agent is offered no such tool`);
  }

  /** What the model is told when it answered before the contract was met. */
  reminder(text: string): string {
    const parts: string[] = [];
    const remaining = this.remaining();
    const markers = this.missingMarkers(text);
    if (remaining.length > 0) parts.push(`call ${quoted(remaining)}`);
    if (markers.length > 0) parts.push(`answer with text containing ${quoted(markers)}`);
    return `Your execution contract is not met yet: ${parts.join('; then ')}.`;
  }

  /** At `max_steps`: an unfinished sequence is a violation; all tools done but markers missing, a warning. */
  atMaxSteps(step: number, text: string): ContractFinding | null {
    const remaining = this.remaining();
    if (remaining.length > 0) {
      return this.finding('violation', 'tool_sequence_incomplete', step, null, `${quoted(remaining)} before max_steps ${step}`, 'max_steps reached first');
    }
    const markers = this.missingMarkers(text);
    if (markers.length === 0) return null;
    return this.finding('warning', 'output_markers_missing', step, null, `output containing ${quoted(markers)}`, 'max_steps reached first');
  }

  /** Records an event that does not end the agent. */
  observe(finding: ContractFinding): void {
    if (this.events.length >= MAX_CONTRACT_EVENTS) return;
    const { message: _message, ...event } = finding;
    this.events.push(event);
  }

  private finding(kind: ContractEvent['kind'], rule: ContractEvent['rule'], step: number, tool: string | null, expected: string, actual: string): ContractFinding {
    // The run's failure names the agent before this (`agent <name>: …`); the message names it for everyone else.
    const message = `${kind === 'violation' ? 'execution contract broken' : 'execution contract not met'} by ${this.agent} at step ${step} (${rule}): expected ${expected}; ${actual}`;
    return { kind, rule, step, tool, expected, actual, message };
  }
}
