/** Where orch's local dev server listens unless told otherwise: Temporal's own defaults. */
export const DEFAULT_TEMPORAL_IP = '127.0.0.1';
export const DEFAULT_TEMPORAL_PORT = 7233;
export const DEFAULT_TEMPORAL_UI_PORT = 8233;
export const DEFAULT_TEMPORAL_NAMESPACE = 'default';
