/**
 * What the benchmark needs from its LangGraph.js peer. The peer lives in bench/peers with its
 * own packages (installed by `npm run bench`, absent elsewhere), so the benchmark loads it by
 * a computed path and types it with this interface: nothing else has to resolve its imports.
 */
export interface LangGraphPipeline {
  /** Runs the pipeline once on a fresh thread; resolves with the last agent's output. */
  run(input: string): Promise<string>;
  /** Checkpoints recorded so far for one thread (a check that each step was persisted). */
  checkpoints(threadId: string): Promise<number>;
  close(): void;
}

export interface LangGraphPeer {
  createLangGraphPipeline(options: { url: string; agents: number; dbFile: string }): LangGraphPipeline;
}
