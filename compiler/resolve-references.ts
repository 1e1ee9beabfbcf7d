/**
 * Checks that every reference names something that exists. Secret references are the
 * exception: their values may come from the environment at run time (`ORCH_SECRET_<NAME>`).
 */
import type { Diagnostic } from './diagnostics.ts';
import { DEFAULT_NAMESPACE, parseReference, type ResourceRegistry } from './registry.ts';
import type { ResourceKind } from './resources.ts';
import { valueLocation, type ManifestPath } from './source-map.ts';

function describeLookup(ref: string, namespace: string): string {
  if (parseReference(ref).namespace !== null) return '';
  return namespace === DEFAULT_NAMESPACE ? ` (looked in namespace "${namespace}")` : ` (looked in namespace "${namespace}", then "${DEFAULT_NAMESPACE}")`;
}

/** Appends an UNKNOWN_REFERENCE for every reference in a valid resource that resolves to nothing. */
export function resolveReferences(registry: ResourceRegistry, diagnostics: Diagnostic[]): void {
  const reportedEmbeddings = new Set<string>();
  for (const parsed of registry.all()) {
    const { resource, source } = parsed;
    if (!resource) continue;
    const ns = resource.namespace;
    const owner = `${resource.kind} ${resource.key}`;
    const missing = (kind: string, ref: string, path: ManifestPath, note = '') => {
      diagnostics.push({
        code: 'UNKNOWN_REFERENCE',
        severity: 'error',
        message: `${owner} references unknown ${kind} "${ref}"${describeLookup(ref, ns)}${note}`,
        location: valueLocation(source, path),
        path: [...path],
      });
    };
    const check = (kind: ResourceKind, ref: string, path: ManifestPath) => {
      if (!registry.find(kind, ref, ns)) missing(kind, ref, path);
    };
    const checkTool = (ref: string, path: ManifestPath) => {
      if (!registry.findTool(ref, ns)) missing('Tool', ref, path, ref.includes('--') ? ' (nor a tool of an McpServer named by the part before "--")' : '');
    };

    switch (resource.kind) {
      case 'Agent': {
        const spec = resource.spec;
        check('ModelEndpoint', spec.modelRef, ['spec', 'model_ref']);
        spec.fallbackModelRefs.forEach((ref, i) => check('ModelEndpoint', ref, ['spec', 'fallback_model_refs', i]));
        spec.tools.forEach((ref, i) => checkTool(ref, ['spec', 'tools', i]));
        spec.roles.forEach((ref, i) => check('AgentRole', ref, ['spec', 'roles', i]));
        if (spec.memory?.ref) check('Memory', spec.memory.ref, ['spec', 'memory', 'ref']);
        const granted = spec.memory?.ref && spec.memory.allow.length > 0 ? registry.find('Memory', spec.memory.ref, ns) : undefined;
        // A pgvector Memory embeds through its embedding_model: one that names nothing is reported
        // once, at the Memory, when an agent is granted tools on it (unused, it is not looked up).
        if (granted?.resource?.kind === 'Memory' && !reportedEmbeddings.has(granted.header.key)) {
          const memorySpec = granted.resource.spec;
          if (memorySpec.provider === 'pgvector' && memorySpec.embeddingModel && !registry.findValid('ModelEndpoint', memorySpec.embeddingModel, granted.header.namespace)) {
            reportedEmbeddings.add(granted.header.key);
            diagnostics.push({
              code: 'UNKNOWN_REFERENCE',
              severity: 'error',
              message: `Memory ${granted.header.key} references unknown ModelEndpoint "${memorySpec.embeddingModel}" as its embedding_model${describeLookup(memorySpec.embeddingModel, granted.header.namespace)}`,
              location: valueLocation(granted.source, ['spec', 'embedding_model']),
              path: ['spec', 'embedding_model'],
            });
          }
        }
        break;
      }
      case 'AgentSystem':
        resource.spec.agents.forEach((ref, i) => check('Agent', ref, ['spec', 'agents', i]));
        break;
      case 'Task':
        check('AgentSystem', resource.spec.system, ['spec', 'system']);
        break;
      case 'TaskWebhook':
        check('Task', resource.spec.taskRef, ['spec', 'task_ref']);
        break;
      case 'TaskSchedule':
        check('Task', resource.spec.taskRef, ['spec', 'task_ref']);
        break;
      case 'Tool':
        if (resource.spec.mcpServerRef) check('McpServer', resource.spec.mcpServerRef, ['spec', 'mcp_server_ref']);
        break;
      case 'ToolPermission':
        checkTool(resource.spec.toolRef, resource.spec.toolRefDefaulted ? ['metadata', 'name'] : ['spec', 'tool_ref']);
        break;
      default:
        break;
    }
  }
}
