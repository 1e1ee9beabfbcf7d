/**
 * The peer: the benchmark's pipeline written as a user of LangGraph.js would write it. Each
 * of `agents` nodes makes one model call (ChatOpenAI against the same fake endpoint orch
 * calls) whose answer feeds the next node; every step is checkpointed to a SQLite file
 * before the next one starts (`durability: 'sync'`), the durability closest to orch's.
 */
import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import { ChatOpenAI } from '@langchain/openai';
import { HumanMessage, SystemMessage } from '@langchain/core/messages';
import type { LangGraphPipeline } from '../peer-contract.ts';

export function createLangGraphPipeline(options: { url: string; agents: number; dbFile: string }): LangGraphPipeline {
  const model = new ChatOpenAI({ model: 'fake', apiKey: 'none', configuration: { baseURL: options.url }, maxRetries: 0 });
  const State = Annotation.Root({ last: Annotation<string>() });
  const names = Array.from({ length: options.agents }, (_, i) => `agent-${i + 1}`);
  // The builder's types track node names literally; a loop over names needs the loose form.
  let graph: any = new StateGraph(State);
  for (const name of names) {
    graph = graph.addNode(name, async (state: typeof State.State) => {
      const answer = await model.invoke([new SystemMessage(`step ${name}`), new HumanMessage(state.last)]);
      return { last: String(answer.content) };
    });
  }
  graph = graph.addEdge(START, names[0]);
  for (let i = 0; i < names.length - 1; i++) graph = graph.addEdge(names[i], names[i + 1]);
  graph = graph.addEdge(names.at(-1), END);
  const checkpointer = SqliteSaver.fromConnString(options.dbFile);
  const app = graph.compile({ checkpointer });
  let threads = 0;
  return {
    async run(input) {
      const result = await app.invoke({ last: input }, { configurable: { thread_id: `bench-${++threads}` }, durability: 'sync' });
      return result.last as string;
    },
    async checkpoints(threadId) {
      let count = 0;
      for await (const _ of checkpointer.list({ configurable: { thread_id: threadId } })) count++;
      return count;
    },
    close() {
      checkpointer.db.close();
    },
  };
}
