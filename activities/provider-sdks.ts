/**
 * The AI SDK's provider packages and the `pg` driver, loaded when a call first needs one. Together
 * they take ~150 ms to load, which every `orch run` and worker start would otherwise spend
 * whether or not its runs talk to OpenAI, Anthropic, Azure or PostgreSQL (a mock run needs none).
 */
type Loader<T> = () => Promise<T>;

/** `load`, run once; a failed load is tried again by the next caller instead of being cached. */
function once<T>(load: Loader<T>): Loader<T> {
  let loading: Promise<T> | undefined;
  return () =>
    (loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    }));
}

export const loadOpenAI = once(() => import('@ai-sdk/openai'));
export const loadAnthropic = once(() => import('@ai-sdk/anthropic'));
export const loadAzure = once(() => import('@ai-sdk/azure'));
export const loadOpenAICompatible = once(() => import('@ai-sdk/openai-compatible'));
export const loadPg = once(async () => (await import('pg')).default);
