/** The built-in memory tools as the model sees them: Orloj's argument shapes, as JSON Schemas. */
import type { JsonObject, MemoryToolName } from '../contract/plan.ts';

const string = (description: string): JsonObject => ({ type: 'string', description });
const integer = (description: string): JsonObject => ({ type: 'integer', description });

const DECLARATIONS: Record<MemoryToolName, { description: string; inputSchema: JsonObject }> = {
  'memory.read': {
    description: 'Read the value stored under a key in shared memory. Answers {found, key, value}.',
    inputSchema: { type: 'object', properties: { key: string('The key to read.') }, required: ['key'] },
  },
  'memory.write': {
    description: 'Store a value under a key in shared memory, replacing what was there. Answers {status, key}.',
    inputSchema: { type: 'object', properties: { key: string('The key to write.'), value: string('The value to store.') }, required: ['key'] },
  },
  'memory.search': {
    description: 'Search shared memory for entries relevant to a query. Answers {results: [{key, value}], count}.',
    inputSchema: {
      type: 'object',
      properties: { query: string('What to look for.'), top_k: integer('How many results at most (default 10).') },
      required: ['query'],
    },
  },
  'memory.list': {
    description: 'List the entries of shared memory whose key starts with a prefix. Answers {entries: [{key, value}], count}.',
    inputSchema: { type: 'object', properties: { prefix: string('Key prefix; empty lists everything.') } },
  },
  'memory.ingest': {
    description: 'Split a document into overlapping chunks and store each as <source>/chunk-NNNN. Answers {status, source, chunks_stored}.',
    inputSchema: {
      type: 'object',
      properties: {
        source: string('Name of the document; chunk keys start with it.'),
        content: string('The text to store.'),
        chunk_size: integer('Characters per chunk (default 1000).'),
        overlap: integer('Characters each chunk repeats from the previous one.'),
      },
      required: ['source', 'content'],
    },
  },
};

/** A fresh copy each time: declarations go into requests, and nothing may share them. */
export function memoryToolDeclaration(name: MemoryToolName): { description: string; inputSchema: JsonObject } {
  return JSON.parse(JSON.stringify(DECLARATIONS[name])) as { description: string; inputSchema: JsonObject };
}
