/**
 * `orch serve`: every TaskWebhook of the manifests on one HTTP listener, each delivery a run,
 * with a worker in the same process unless `--no-worker`. Ctrl-C stops listening, lets the
 * requests in flight finish and drains the worker; the runs go on in Temporal.
 */
import { createServer, type Server } from 'node:http';
import { DEFAULT_CAPABILITIES } from '../../contract/routing.ts';
import type { Command } from 'commander';
import { hasErrors } from '../../compiler/diagnostics.ts';
import type { WebhookDeliveryEvent } from '../../client/webhook-handler.ts';
import type { SecretSources } from '../../activities/secrets.ts';
import type * as Secrets from '../../activities/secrets.ts';
import { defaultTaskQueue } from '../../contract/wire-names.ts';
import type { WebhookDefinition } from '../../contract/webhooks.ts';
import { CliError, EXIT, type CliIo } from '../io.ts';
import { collect, type CommandContext } from '../main.ts';
import { port } from '../option-parsers.ts';
import { renderDiagnostics } from '../render-diagnostics.ts';
import { escapeLine } from '../render-text.ts';
import { addConnectionOptions, type ConnectionFlags } from '../connection-options.ts';
import { connectTemporal, reachTemporal, validate } from '../deferred.ts';

interface ServeFlags extends ConnectionFlags {
  override: string[];
  port: number;
  host: string;
  worker: boolean;
  taskQueue?: string;
}

/** Orloj's API server port. */
const DEFAULT_PORT = 8080;
/** A delivery is small and quick to send; a client that dribbles it is cut off. */
const REQUEST_TIMEOUT_MS = 30_000;

/** Each webhook's signing key must resolve now: a missing one would otherwise answer every delivery 500. */
function checkSecrets({ resolveSecret, describeSecretRef, secretEnvNames }: typeof Secrets, webhooks: readonly WebhookDefinition[], sources: SecretSources): void {
  for (const hook of webhooks) {
    try {
      resolveSecret(hook.secretRef, sources);
    } catch {
      throw new CliError(
        `TaskWebhook ${hook.namespace}/${hook.name}: its secret ${describeSecretRef(hook.secretRef)} is not set: ` +
          `set ${secretEnvNames(hook.secretRef).join(' or ')}, or define Secret ${hook.secretRef.namespace}/${hook.secretRef.name}`,
      );
    }
  }
}

function listen(server: Server, portNumber: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new CliError(`cannot listen on ${host}:${portNumber}: ${error.code ?? error.message}`)));
    server.listen(portNumber, host, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : portNumber;
      resolve(`http://${host.includes(':') ? `[${host}]` : host}:${bound}`);
    });
  });
}

function logDelivery(io: CliIo): (event: WebhookDeliveryEvent) => void {
  return (event) => {
    const run = event.workflowId ? ` run ${event.workflowId}` : '';
    const id = event.eventId ? ` event ${event.eventId}` : '';
    io.stderr(`${escapeLine(`[${event.webhook ?? '-'}] ${event.status} ${event.reason}${id}${run}`)}\n`);
  };
}

export function registerServeCommand(program: Command, context: CommandContext): void {
  const { io } = context;
  const serve = program
    .command('serve')
    .description('Serve the TaskWebhooks of the manifests over HTTP: each signed delivery starts a run.')
    .argument('<paths...>', 'manifest files or directories')
    .option('--override <file>', 'manifests that replace same-named resources (repeatable)', collect, [])
    .option('--port <n>', `port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)`, port('--port'), DEFAULT_PORT)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--no-worker', 'do not start a worker in this process (one must run elsewhere)')
    .option('--task-queue <queue>', 'task queue (default: $ORCH_TASK_QUEUE or "orch")');
  addConnectionOptions(serve).action(async (paths: string[], flags: ServeFlags) => {
    // Loaded when it serves, never to declare the command (`orch --help`, `orch validate`).
    const [{ createOrchWorker }, { installQuietRuntime }, { OrchClient }, { createWebhookHandler, WEBHOOK_DELIVERY_PATH }, secretsModule] = await Promise.all([
      import('../../worker/index.ts'),
      import('../quiet-runtime.ts'),
      import('../../client/orch-client.ts'),
      import('../../client/webhook-handler.ts'),
      import('../../activities/secrets.ts'),
    ]);
    const { resolveSecret } = secretsModule;
    installQuietRuntime(io.env, { dropOutcomes: true });
    const loaded = await validate(paths, { overrides: flags.override });
    io.stderr(renderDiagnostics(loaded.diagnostics));
    if (hasErrors(loaded.diagnostics)) throw new CliError('the manifests do not validate; nothing is served');
    if (loaded.webhooks.length === 0) throw new CliError('no TaskWebhook in the given manifests; nothing to serve');
    const sources: SecretSources = { env: io.env, secrets: loaded.secrets };
    checkSecrets(secretsModule, loaded.webhooks, sources);

    const taskQueue = flags.taskQueue ?? defaultTaskQueue(io.env);
    const target = await connectTemporal(io, { startServer: true, flags });
    const client = await reachTemporal(target, () => OrchClient.connect({ ...target.connection, taskQueue }));
    const worker = flags.worker
      ? await reachTemporal(target, () =>
          // Orloj's worker defaults; it serves the webhooks' runs whose requirements those satisfy.
          createOrchWorker({
            ...target.connection,
            taskQueue,
            secrets: loaded.secrets,
            manifests: loaded.manifests,
            env: io.env,
            capabilities: DEFAULT_CAPABILITIES,
            knownRequirements: loaded.webhooks.flatMap((hook) => (hook.plan.requirements ? [hook.plan.requirements] : [])),
          })
        )
      : null;
    const workerRunning = worker?.run();
    const handler = createWebhookHandler({
      webhooks: loaded.webhooks,
      client,
      taskQueue,
      resolveSecret: (ref) => resolveSecret(ref, sources),
      onDelivery: logDelivery(io),
    });
    const server = createServer({ requestTimeout: REQUEST_TIMEOUT_MS }, (req, res) => void handler(req, res));
    try {
      const base = await listen(server, flags.port, flags.host);
      io.stderr(`orch: listening on ${base} (task queue "${taskQueue}" at ${target.connection.address}${worker ? ', with a worker' : ''}); Ctrl-C stops\n`);
      for (const hook of loaded.webhooks) io.stdout(`${escapeLine(`${hook.namespace}/${hook.name}  ${hook.profile}  ${base}${WEBHOOK_DELIVERY_PATH}${encodeURIComponent(hook.name)}`)}\n`);
      await Promise.race([io.interrupted ?? new Promise<never>(() => {}), workerRunning ?? new Promise<never>(() => {})]);
      context.exitCode = EXIT.ok;
    } finally {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      if (worker) {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await workerRunning;
      }
      await client.close();
    }
  });
}
