/**
 * Every environment variable orch reads, with what it means. The README's table is checked
 * against this list, and this list against the names the source mentions
 * (test/contract/readme-tables.test.ts), so a variable cannot be read without being documented.
 * `<NAME>` and `<KEY>` stand for a Secret's name and data key: upper-cased, non-alphanumerics as `_`.
 */
export interface EnvVar {
  name: string;
  meaning: string;
}

export const ENV_VARS: readonly EnvVar[] = [
  { name: 'TEMPORAL_ADDRESS', meaning: 'the Temporal cluster to use instead of a local dev server' },
  { name: 'TEMPORAL_NAMESPACE', meaning: 'its namespace (default `default`)' },
  { name: 'TEMPORAL_API_KEY', meaning: 'an API key for the cluster (Temporal Cloud); turns TLS on' },
  { name: 'TEMPORAL_TLS', meaning: 'TLS on or off (default: on when an API key or a TLS setting is given)' },
  { name: 'TEMPORAL_TLS_SERVER_NAME', meaning: "the server name TLS checks the cluster's certificate against" },
  { name: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH', meaning: 'a CA certificate for the cluster, as a file' },
  { name: 'TEMPORAL_TLS_SERVER_CA_CERT_DATA', meaning: 'a CA certificate for the cluster, as PEM text' },
  { name: 'TEMPORAL_TLS_CLIENT_CERT_PATH', meaning: 'the mTLS client certificate, as a file' },
  { name: 'TEMPORAL_TLS_CLIENT_CERT_DATA', meaning: 'the mTLS client certificate, as PEM text' },
  { name: 'TEMPORAL_TLS_CLIENT_KEY_PATH', meaning: "the mTLS client certificate's key, as a file" },
  { name: 'TEMPORAL_TLS_CLIENT_KEY_DATA', meaning: "the mTLS client certificate's key, as PEM text" },
  { name: 'TEMPORAL_GRPC_META_<NAME>', meaning: 'a gRPC header sent with every request to the cluster' },
  { name: 'TEMPORAL_CONFIG_FILE', meaning: "Temporal's TOML config file (default: the platform's `temporalio/temporal.toml`)" },
  { name: 'TEMPORAL_PROFILE', meaning: 'the profile of that file to connect with (default `default`)' },
  { name: 'ORCH_TEMPORAL_UI_URL', meaning: "the Web UI's base URL for links, when using TEMPORAL_ADDRESS" },
  { name: 'ORCH_TASK_QUEUE', meaning: 'the task queue (default `orch`)' },
  { name: 'ORCH_HOME', meaning: "where orch keeps its state: the dev server's database, the Temporal CLI, logs (default `$XDG_STATE_HOME/orch`, else `~/.local/state/orch`)" },
  { name: 'ORCH_TEMPORAL_CLI', meaning: 'the path of the `temporal` CLI to use' },
  { name: 'ORCH_PYTHON', meaning: 'the Python that installs the Temporal CLI when none is found (default `python3`)' },
  { name: 'ORCH_DEBUG', meaning: "set: errors print their stack, and Temporal's logs are not filtered" },
  { name: 'ORCH_TOOLS_ALLOW_LOOPBACK', meaning: "`true` (or `1`, `yes`): this worker's tool calls may reach loopback endpoints" },
  { name: 'ORCH_TOOLS_ALLOW_PRIVATE', meaning: "`true` (or `1`, `yes`): this worker's tool calls may reach private-network endpoints" },
  { name: 'ORCH_BLOB_STORE', meaning: "the claim-check store of large tool results and transcripts, shared by every worker: a directory or a `postgres://` URL (default `$ORCH_HOME/blobs`)" },
  { name: 'ORCH_SECRET_<NAME>', meaning: "the value of Secret `<name>` (its `value` key); before Secret manifests" },
  { name: 'ORCH_SECRET_<NAME>_<KEY>', meaning: 'another data key of Secret `<name>`' },
  { name: 'ORCH_SECRET_<NAME>_DESTINATIONS', meaning: 'where this worker may send Secret `<name>`: comma-separated URL prefixes or `stdio:` command lines' },
  { name: 'ORLOJ_SECRET_<name>', meaning: "Orloj's spelling of a Secret's value (the name as written)" },
  { name: 'OPENAI_API_KEY', meaning: "the openai provider's key when its endpoint has no `auth.secretRef`" },
  { name: 'ANTHROPIC_API_KEY', meaning: "the anthropic provider's key when its endpoint has no `auth.secretRef`" },
  { name: 'AZURE_API_KEY', meaning: "the azure-openai provider's key when its endpoint has no `auth.secretRef`" },
];
