/**
 * What the policies deny whatever the model asks is said at compile time: a tool an agent lists
 * that the gate refuses for it (TOOL_ALWAYS_DENIED) and an agent's own model outside an
 * applicable `allowed_models` (AGENT_MODEL_DENIED), each a warning located at the agent's entry;
 * the plan is still built (the run behaves as the gate says). A tool that needs approval, or one
 * the policy does not reach, says nothing.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.ts';
import { codesOf, expectDiagnostic, writeManifests } from './helpers.ts';

const manifests = (policies: string) => `apiVersion: orch/v1
kind: ModelEndpoint
metadata: {name: main}
spec: {provider: openai-compatible, base_url: "http://127.0.0.1:9/v1", default_model: small-model}
---
apiVersion: orch/v1
kind: Tool
metadata: {name: lookup}
spec: {type: http, endpoint: "http://127.0.0.1:9/lookup", operation_classes: [read]}
---
apiVersion: orch/v1
kind: Tool
metadata: {name: publish}
spec: {type: http, endpoint: "http://127.0.0.1:9/publish", operation_classes: [write]}
---
apiVersion: orch/v1
kind: Agent
metadata: {name: writer}
spec:
  model_ref: main
  tools:
    - lookup
    - publish
---
apiVersion: orch/v1
kind: Agent
metadata: {name: reader}
spec:
  model_ref: main
  tools: [lookup]
---
apiVersion: orch/v1
kind: AgentSystem
metadata: {name: s}
spec: {agents: [writer, reader], graph: {writer: {next: reader}}}
---
${policies}`;

describe('denied whatever the model asks', () => {
  it('a blocked tool the agent lists, and a model no policy allows: warnings at the entries; the plan is built', async () => {
    const { file } = writeManifests({
      file: manifests(`apiVersion: orch/v1
kind: AgentPolicy
metadata: {name: no-publish}
spec: {apply_mode: global, blocked_tools: [Publish]}
---
apiVersion: orch/v1
kind: AgentPolicy
metadata: {name: big-only}
spec: {apply_mode: scoped, target_agents: [reader], allowed_models: [huge-model]}
`),
    });
    const { plan, diagnostics } = await compile([file!]);
    expect(plan).not.toBeNull();
    expect(codesOf(diagnostics).sort()).toEqual(['AGENT_MODEL_DENIED', 'TOOL_ALWAYS_DENIED']);
    expectDiagnostic(diagnostics, { code: 'TOOL_ALWAYS_DENIED', file: file!, line: 23, column: 7 });
    expectDiagnostic(diagnostics, { code: 'AGENT_MODEL_DENIED', file: file!, line: 29, column: 14 });
    expect(diagnostics.every((d) => d.severity === 'warning')).toBe(true);
  });

  it("an MCP server's tool the agent lists by its generated name, blocked under that name: the warning too", async () => {
    const { file } = writeManifests({
      file: `apiVersion: orch/v1
kind: ModelEndpoint
metadata: {name: main}
spec: {provider: openai-compatible, base_url: "http://127.0.0.1:9/v1", default_model: small-model}
---
apiVersion: orch/v1
kind: McpServer
metadata: {name: files}
spec: {transport: stdio, command: files-server}
---
apiVersion: orch/v1
kind: Agent
metadata: {name: cleaner}
spec: {model_ref: main, tools: [files--delete, files--read]}
---
apiVersion: orch/v1
kind: AgentSystem
metadata: {name: s}
spec: {agents: [cleaner]}
---
apiVersion: orch/v1
kind: AgentPolicy
metadata: {name: no-delete}
spec: {apply_mode: global, blocked_tools: [files--delete]}
`,
    });
    const { plan, diagnostics } = await compile([file!]);
    expect(plan).not.toBeNull();
    expect(diagnostics.map((d) => [d.code, d.path])).toEqual([['TOOL_ALWAYS_DENIED', ['spec', 'tools', 0]]]);
  });

  it('a tool that needs approval is permitted; a policy scoped to another agent does not reach this one', async () => {
    const { file } = writeManifests({
      file: manifests(`apiVersion: orch/v1
kind: ToolPermission
metadata: {name: publish-needs-approval}
spec: {tool_ref: publish, action: invoke, apply_mode: global, operation_rules: [{operation_class: write, verdict: approval_required}]}
---
apiVersion: orch/v1
kind: AgentPolicy
metadata: {name: reader-no-publish}
spec: {apply_mode: scoped, target_agents: [reader], blocked_tools: [publish]}
`),
    });
    const { plan, diagnostics } = await compile([file!]);
    expect(plan).not.toBeNull();
    expect(codesOf(diagnostics)).toEqual([]);
  });
});
