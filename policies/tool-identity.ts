/**
 * What a tool is, for policy, as opposed to how a manifest spells it.
 *
 * A tool's identity is its kind and what it reaches: for MCP, the server (its resource, and
 * what it runs: transport with command and arguments, or endpoint) and the server's own name
 * for the tool; for HTTP, the endpoint as a normalized URL; for a built-in, its name; for a
 * delegation, the agent it runs. Names (a Tool's, an MCP-generated `<server>--<tool>`, a
 * server-side name, a `blocked_tools` entry) compare after Unicode NFKC, case folding and
 * separator folding, and two names that differ only by look-alike letters are confusable.
 *
 * Pure and workflow-safe: the policy engine runs this in the workflow, the worker re-runs it on
 * what an activity carries, and the compiler uses it to resolve `blocked_tools` entries and to
 * report look-alike names. `String.prototype.normalize` and Unicode property escapes are part
 * of V8 itself, so Temporal's sandbox has them.
 */
import { delegateToolName, generatedToolName, type PlanMcpServer, type PlanTool, type ResourceId } from '../contract/plan.ts';

/** What kind of thing a tool call reaches. */
export type ToolKind = 'http' | 'mcp' | 'builtin' | 'delegate';

/** Characters that render as nothing (zero-width space, joiners, soft hyphen, …): an attacker can hide them in a name. */
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/gu;
/** `-`, `_`, `.`, `:`, any Unicode dash, dots and whitespace all separate words; a run of them is one separator. */
const SEPARATORS = /[\s\p{Pd}_.:\u00B7\u2027\u2219\u22C5\u30FB]+/gu;
const EDGE_SEPARATORS = /^-+|-+$/g;
const COMBINING_MARKS = /\p{M}/gu;

/**
 * A name as policy compares it: NFKC (fullwidth and other compatibility forms become their
 * plain letters), invisible characters dropped, case folded (through upper case, so `ß` is
 * `ss`), and every run of separators one `-`, none at either end. `fs.write_file`,
 * `FS--Write-File` and `ｆｓ－－ｗｒｉｔｅ＿ｆｉｌｅ` all fold to `fs-write-file`.
 */
export function foldToolName(name: string): string {
  const folded = name.normalize('NFKC').replace(INVISIBLE, '').toUpperCase().toLowerCase().normalize('NFKC');
  return folded.replace(SEPARATORS, '-').replace(EDGE_SEPARATORS, '');
}

/**
 * Letters of other scripts (and digits) that look like a Latin letter, each to the lower-case
 * Latin letter it passes for. Lower-case forms are read in a folded name, upper-case forms in
 * its upper-cased copy (Greek `Η` looks like `H` but folds to `η`, which looks like `n`).
 * Compatibility forms (fullwidth, mathematical, circled letters) need no entry: NFKC already
 * made them plain. Accented letters need none either: marks are stripped first.
 */
const LOOK_ALIKES: Readonly<Record<string, string>> = {
  // Cyrillic, lower case
  'а': 'a', 'е': 'e', 'һ': 'h', 'і': 'i', 'ј': 'j', 'к': 'k', 'ӏ': 'l', 'о': 'o', 'р': 'p', 'ԛ': 'q',
  'с': 'c', 'ѕ': 's', 'у': 'y', 'ү': 'y', 'ԝ': 'w', 'х': 'x', 'ԁ': 'd',
  // Cyrillic, upper case
  'А': 'a', 'В': 'b', 'Е': 'e', 'Һ': 'h', 'І': 'i', 'Ӏ': 'i', 'Ј': 'j', 'К': 'k', 'М': 'm', 'Н': 'h',
  'О': 'o', 'Р': 'p', 'Ԛ': 'q', 'С': 'c', 'Ѕ': 's', 'Т': 't', 'У': 'y', 'Ү': 'y', 'Ԝ': 'w', 'Х': 'x',
  // Greek, lower case
  'α': 'a', 'γ': 'y', 'ε': 'e', 'η': 'n', 'ι': 'i', 'κ': 'k', 'μ': 'u', 'ν': 'v', 'ο': 'o', 'ρ': 'p',
  'τ': 't', 'υ': 'u', 'χ': 'x', 'ω': 'w', 'ϲ': 'c', 'ϳ': 'j',
  // Greek, upper case
  'Α': 'a', 'Β': 'b', 'Ε': 'e', 'Ζ': 'z', 'Η': 'h', 'Ι': 'i', 'Κ': 'k', 'Μ': 'm', 'Ν': 'n', 'Ο': 'o',
  'Ρ': 'p', 'Τ': 't', 'Υ': 'y', 'Χ': 'x', 'Ϲ': 'c', 'Ϳ': 'j',
  // Armenian
  'օ': 'o', 'Օ': 'o', 'ս': 'u', 'ո': 'n', 'հ': 'h', 'ց': 'g', 'զ': 'q',
  // Latin letters that are not a-z, small capitals among them
  'ı': 'i', 'ȷ': 'j', 'ɑ': 'a', 'ɡ': 'g', 'ɩ': 'i', 'ɪ': 'i', 'ʏ': 'y', 'ᴄ': 'c', 'ᴏ': 'o', 'ᴜ': 'u', 'ᴠ': 'v',
  'ᴡ': 'w', 'ᴢ': 'z', 'ꜱ': 's',
  // Digits that pass for letters
  '0': 'o', '1': 'l',
};

function lookAlikeText(text: string): string {
  let out = '';
  for (const char of text.normalize('NFD').replace(COMBINING_MARKS, '')) out += LOOK_ALIKES[char] ?? char.toLowerCase();
  return out.replace(SEPARATORS, '-').replace(EDGE_SEPARATORS, '');
}

/**
 * The skeletons of a name: what it looks like, read as Latin letters. Two: one read from the
 * folded name, one from its upper-cased copy (some letters pass for Latin only in one case).
 * Names with the same fold have the same skeletons.
 */
export function toolNameSkeletons(name: string): string[] {
  const folded = foldToolName(name);
  const lower = lookAlikeText(folded);
  const upper = lookAlikeText(folded.toUpperCase());
  return lower === upper ? [lower] : [lower, upper];
}

/** A name prepared for comparison, so a name compared with many others is folded once. */
export interface ToolNameKey {
  name: string;
  folded: string;
  skeletons: string[];
}

/** Folds `name` and computes its skeletons, once. */
export function toolNameKey(name: string): ToolNameKey {
  return { name, folded: foldToolName(name), skeletons: toolNameSkeletons(name) };
}

/** How two names relate: the same name after normalization, different names that look alike, or different. */
export type NameComparison = 'same' | 'confusable' | 'different';

/** Compares two names (or prepared keys): `same` when they fold alike, `confusable` when only their skeletons meet. */
export function compareToolNames(a: string | ToolNameKey, b: string | ToolNameKey): NameComparison {
  const x = typeof a === 'string' ? toolNameKey(a) : a;
  const y = typeof b === 'string' ? toolNameKey(b) : b;
  if (x.folded === y.folded) return 'same';
  return x.skeletons.some((s) => y.skeletons.includes(s)) ? 'confusable' : 'different';
}

/** Does the name contain letters that pass for other letters (its skeleton differs from its fold)? */
export function hasLookAlikes(name: string): boolean {
  const key = toolNameKey(name);
  return key.skeletons.some((s) => s !== key.folded);
}

/**
 * The code points of a name that are not what they look like, as `U+0455`, for messages: those
 * whose compatibility form is still not ASCII (fullwidth letters are plain letters, so they are
 * not listed), and digits that pass for letters.
 */
export function lookAlikeCodePoints(name: string): string[] {
  const out = new Set<string>();
  for (const char of name) {
    const plain = foldToolName(char);
    // Separators and invisible characters fold away: they never make a name a look-alike.
    if (plain === '' || (/^[\x21-\x7e]+$/.test(plain) && !(plain in LOOK_ALIKES))) continue;
    out.add(`U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`);
  }
  return [...out];
}

const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: '80', https: '443', ws: '80', wss: '443' };
const URL_PARTS = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/i;

/** `/a/./b/../c` is `/a/c`, as a server resolves it (RFC 3986 §5.2.4). */
function withoutDotSegments(path: string): string {
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return out.join('/');
}

/**
 * The host as its identity. Every loopback spelling (`127.0.0.0/8`, `::1`, `0.0.0.0`, `::`,
 * `localhost` and `*.localhost`) is one host, and an IPv4-mapped IPv6 address is its IPv4
 * address: to a block list, all of them are the same machine.
 */
function canonicalHost(hostname: string): string {
  let host = hostname.toLowerCase().replace(/\.$/, '');
  const mapped = /^\[?::ffff:(?:([0-9a-f]{1,4}):([0-9a-f]{1,4})|(\d+\.\d+\.\d+\.\d+))\]?$/.exec(host);
  if (mapped) {
    if (mapped[3]) host = mapped[3];
    else {
      const high = parseInt(mapped[1]!, 16);
      const low = parseInt(mapped[2]!, 16);
      host = [high >> 8, high & 255, low >> 8, low & 255].join('.');
    }
  }
  if (/^127\.\d+\.\d+\.\d+$/.test(host) || host === '0.0.0.0' || host === '[::1]' || host === '[::]' || host === 'localhost' || host.endsWith('.localhost')) {
    return 'loopback';
  }
  return host;
}

/**
 * A path as its identity: percent-escapes decoded (encoded slashes and dots too), `\` read as
 * `/`, `;parameters` dropped, dot segments resolved, repeated and trailing slashes removed,
 * case folded. Servers differ in which of these they do; folding all of them errs on the side
 * of calling two paths the same endpoint.
 */
function canonicalPath(path: string): string {
  let decoded = path;
  for (let round = 0; round < 3 && /%[0-9a-f]{2}/i.test(decoded); round++) {
    decoded = decoded.replace(/%([0-9a-f]{2})/gi, (_escape: string, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
  const segments = decoded.replace(/\\/g, '/').split('/').map((segment) => segment.replace(/;.*$/, ''));
  const resolved = withoutDotSegments(segments.join('/').replace(/\/{2,}/g, '/')).replace(/\/+$/, '').toLowerCase();
  return resolved.startsWith('/') ? resolved : `/${resolved}`;
}

/** The WHATWG URL parser (the one `fetch` uses), present in Node and in the workflow sandbox. */
function parseUrl(text: string): { scheme: string; host: string; port: string; path: string } | null {
  const Parser = (globalThis as { URL?: new (input: string) => { protocol: string; hostname: string; port: string; pathname: string } }).URL;
  if (!Parser) return null;
  try {
    const url = new Parser(text);
    return { scheme: url.protocol.replace(/:$/, '').toLowerCase(), host: url.hostname, port: url.port, path: url.pathname };
  } catch {
    return null;
  }
}

/**
 * An HTTP endpoint as its identity: read as `fetch` reads it (so `127.1`, `0x7f.0.0.1`,
 * `2130706433`, a percent-encoded host, backslashes and tabs are the address they reach), then
 * the host folded (loopback spellings, IPv4-mapped IPv6, trailing dot), the default port,
 * user info, query and fragment dropped, and the path folded (see canonicalPath). Folding makes
 * more URLs the same endpoint than a strict reading would: blocking one blocks the others,
 * which is the side to err on. Text that is not an absolute URL is compared folded.
 */
export function normalizeEndpoint(raw: string): string {
  const text = raw.normalize('NFKC').replace(INVISIBLE, '').trim();
  const parsed = parseUrl(text) ?? parseByHand(text);
  if (!parsed) return text.toLowerCase();
  const port = parsed.port === '' ? '' : String(Number(parsed.port));
  const portPart = port === '' || port === DEFAULT_PORTS[parsed.scheme] ? '' : `:${port}`;
  return `${parsed.scheme}://${canonicalHost(parsed.host)}${portPart}${canonicalPath(parsed.path)}`;
}

function parseByHand(text: string): { scheme: string; host: string; port: string; path: string } | null {
  const parts = URL_PARTS.exec(text.replace(/[\t\n\r]/g, ''));
  if (!parts) return null;
  const authority = parts[2]!.slice(parts[2]!.lastIndexOf('@') + 1);
  const hostPort = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(authority);
  return { scheme: parts[1]!.toLowerCase(), host: hostPort?.[1] ?? authority, port: hostPort?.[2] ?? '', path: parts[3]! };
}

/** What an MCP server is, as far as the plan says: how it is reached and what it runs. */
export type McpServerShape = Pick<PlanMcpServer, 'id' | 'transport' | 'command' | 'args' | 'endpoint'>;

/**
 * What an MCP server runs: `stdio` with its command and arguments, or `http` with its
 * normalized endpoint. Two McpServer resources that run the same program are one server.
 * The environment is left out on purpose: the same program with other variables is still
 * that program, and blocking both is the safe reading.
 */
export function mcpServerProgram(server: McpServerShape): string {
  if (server.transport === 'http') return `http ${normalizeEndpoint(server.endpoint ?? '')}`;
  return `stdio ${JSON.stringify([(server.command ?? '').trim(), ...server.args])}`;
}

function resourceLabel(id: ResourceId): string {
  return `${foldToolName(id.namespace)}/${foldToolName(id.name)}`;
}

/** `namespace/name` split; a bare name has no namespace. */
export function splitResourceKey(key: string): { namespace: string | null; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { namespace: null, name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/**
 * The identities of tool `toolName` on an MCP server: one per way of naming the server (its
 * resource key, the resource the plan carries, and what it runs) times one per skeleton of
 * the tool's name, so a server-side tool whose name only looks like another's is taken for it.
 */
export function mcpToolIdentities(serverKey: string, server: McpServerShape | null, toolName: string): string[] {
  const { namespace, name } = splitResourceKey(serverKey);
  const servers = [resourceLabel({ namespace: namespace ?? '', name })];
  if (server) servers.push(resourceLabel(server.id), mcpServerProgram(server));
  const tools = toolNameSkeletons(toolName);
  return [...new Set(servers.flatMap((s) => tools.map((t) => `mcp ${s} ${t}`)))];
}

/** The identity of an HTTP tool: its normalized endpoint (every HTTP tool is called with POST, so the method adds nothing). */
export function httpToolIdentity(endpoint: string): string {
  return `http ${normalizeEndpoint(endpoint)}`;
}

/** The identity of a supervisor's delegation to `agent` (its resource id). */
export function delegateIdentity(agent: ResourceId): string {
  return `delegate ${resourceLabel(agent)}`;
}

/** Everything policy matches a tool by: the names it goes by and the identities of what it reaches. */
export interface ToolFacts {
  kind: ToolKind;
  /** Every spelling that names this tool: model-facing, resource, key, server-side, `<server>--<tool>`, bare and `namespace/`-qualified. */
  names: string[];
  identities: string[];
}

/** The part of a PlanTool (or of a Tool resource) that says what the tool is. */
export type ToolShape = Pick<PlanTool, 'id' | 'name' | 'type' | 'endpoint'> & { mcp: { server: string; tool: string } | null };

function qualified(namespace: string, name: string): string[] {
  return [name, `${namespace}/${name}`];
}

/**
 * The facts of a tool: `toolKey` is its key in the plan, `server` the MCP server it is called
 * on (the plan's, or on the worker the one the activity carries), when it is an MCP tool.
 */
export function toolFacts(toolKey: string, tool: ToolShape, server: McpServerShape | null | undefined): ToolFacts {
  const names = [toolKey, ...qualified(tool.id.namespace, tool.id.name), ...qualified(tool.id.namespace, tool.name)];
  if (tool.mcp) {
    const ref = splitResourceKey(tool.mcp.server);
    const serverIds: ResourceId[] = [{ namespace: ref.namespace ?? tool.id.namespace, name: ref.name }, ...(server ? [server.id] : [])];
    for (const id of serverIds) names.push(...qualified(id.namespace, generatedToolName(id.name, tool.mcp.tool)), ...qualified(id.namespace, tool.mcp.tool));
    return { kind: 'mcp', names: [...new Set(names)], identities: mcpToolIdentities(tool.mcp.server, server ?? null, tool.mcp.tool) };
  }
  if (tool.type === 'http') return { kind: 'http', names: [...new Set(names)], identities: tool.endpoint ? [httpToolIdentity(tool.endpoint)] : [] };
  return { kind: 'builtin', names: [...new Set(names)], identities: [`builtin ${foldToolName(tool.name)}`] };
}

/** The facts of the delegation tool that runs `agent` (listed in its system as `listed`). */
export function delegateFacts(listed: string, agent: ResourceId): ToolFacts {
  // The agent's own name too: `blocked_tools: [researcher]` blocks delegating to it (erring on
  // the side of blocking, should a tool share that name).
  const names = [
    ...qualified(agent.namespace, delegateToolName(listed)),
    ...qualified(agent.namespace, delegateToolName(agent.name)),
    ...qualified(agent.namespace, listed),
    ...qualified(agent.namespace, agent.name),
  ];
  return { kind: 'delegate', names: [...new Set(names)], identities: [delegateIdentity(agent)] };
}

/**
 * The server-side tool a name such as `fs--write-file` (or `default/fs.write_file`) names on
 * the server `server`, compared folded; null when it does not start with the server's name.
 * A `blocked_tools` entry written this way blocks that tool on that server by identity, even
 * when the plan only reaches it through a Tool of another name.
 */
export function generatedEntryTool(entry: string, server: ResourceId): string | null {
  const folded = foldToolName(entry);
  for (const prefix of [foldToolName(server.name), `${foldToolName(server.namespace)}/${foldToolName(server.name)}`]) {
    if (prefix !== '' && folded.length > prefix.length + 1 && folded.startsWith(`${prefix}-`)) return folded.slice(prefix.length + 1);
  }
  return null;
}

/**
 * The tools that are one tool with a tool of identities `seed`: every member sharing an
 * identity with it, and every member sharing one with those, until none is added (two Tools
 * that share an identity are the same tool, so sameness is closed under chains). Returns the
 * members in their given order and every identity seen, seed first. Pure and deterministic.
 */
export function sameToolGroup<T>(seed: readonly string[], members: readonly T[], identitiesOf: (member: T) => readonly string[]): { members: T[]; identities: string[] } {
  const identities = new Set(seed);
  const inGroup = new Array<boolean>(members.length).fill(false);
  for (let grew = identities.size > 0; grew; ) {
    grew = false;
    members.forEach((member, index) => {
      if (inGroup[index]) return;
      const own = identitiesOf(member);
      if (!own.some((identity) => identities.has(identity))) return;
      inGroup[index] = true;
      grew = true;
      for (const identity of own) identities.add(identity);
    });
  }
  return { members: members.filter((_, index) => inGroup[index]), identities: [...identities] };
}
