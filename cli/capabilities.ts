/**
 * `--capabilities region=eu,gpu=true,models=gpt-4o|claude-sonnet,max_concurrent_tasks=4`: a
 * worker's capabilities on the command line, Orloj's Worker spec in one flag. Keys may come in
 * any order, each once; models are separated by `|` (a model id may hold a comma-free `:` or
 * `/`). Every mistake is a usage error naming the item, never a default quietly taken.
 */
import { DEFAULT_CAPABILITIES, type WorkerCapabilities } from '../contract/routing.ts';
import { CliError, EXIT } from './io.ts';

const KEYS = ['region', 'gpu', 'models', 'max_concurrent_tasks'] as const;
type Key = (typeof KEYS)[number];

function refuse(item: string, index: number, problem: string): never {
  throw new CliError(`--capabilities item ${index + 1} "${item}": ${problem}`, EXIT.usage);
}

/** Parses the flag's value; whatever it leaves out is Orloj's worker default (region `default`, no GPU, any model). */
export function parseCapabilities(value: string): WorkerCapabilities {
  if (value.trim() === '') throw new CliError('--capabilities is empty (expected e.g. region=eu,gpu=true,models=a|b)', EXIT.usage);
  const seen = new Set<Key>();
  const out: { -readonly [K in keyof WorkerCapabilities]: WorkerCapabilities[K] } = { ...DEFAULT_CAPABILITIES };
  value.split(',').forEach((raw, index) => {
    const item = raw.trim();
    const eq = item.indexOf('=');
    if (eq < 0) refuse(item, index, `expected key=value (keys: ${KEYS.join(', ')})`);
    const key = item.slice(0, eq).trim();
    const text = item.slice(eq + 1).trim();
    if (!(KEYS as readonly string[]).includes(key)) refuse(item, index, `unknown key "${key}" (keys: ${KEYS.join(', ')})`);
    if (seen.has(key as Key)) refuse(item, index, `${key} is given twice`);
    seen.add(key as Key);
    switch (key as Key) {
      case 'region':
        if (text === '') refuse(item, index, 'region is empty');
        out.region = text;
        break;
      case 'gpu':
        if (text !== 'true' && text !== 'false') refuse(item, index, `gpu must be true or false`);
        out.gpu = text === 'true';
        break;
      case 'models': {
        const models = text.split('|').map((m) => m.trim());
        if (models.some((m) => m === '')) refuse(item, index, 'models must be model ids separated by "|", none empty');
        out.supportedModels = models;
        break;
      }
      case 'max_concurrent_tasks': {
        const n = Number(text);
        if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) refuse(item, index, 'max_concurrent_tasks must be a positive integer');
        out.maxConcurrentTasks = n;
        break;
      }
    }
  });
  return out;
}
