/**
 * `format` checks, written as small scanners rather than regexes: each is linear in the
 * string and has no backtracking, whatever a model sends. Formats follow the RFCs JSON Schema
 * names (RFC 3339 dates and times, RFC 3986 URIs, RFC 4291 IPv6, RFC 1123 host names).
 */
import { parseRegex } from '../linear-regex/parse.ts';

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isHex = (c: string | undefined) => c !== undefined && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
const isAlpha = (c: string | undefined) => c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
const allDigits = (text: string) => text.length > 0 && [...text].every(isDigit);

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** RFC 3339 full-date: `2024-02-29`. */
export function isDate(text: string): boolean {
  if (text.length !== 10 || text[4] !== '-' || text[7] !== '-') return false;
  const [year, month, day] = [text.slice(0, 4), text.slice(5, 7), text.slice(8, 10)];
  if (!allDigits(year) || !allDigits(month) || !allDigits(day)) return false;
  const m = Number(month);
  return m >= 1 && m <= 12 && Number(day) >= 1 && Number(day) <= daysInMonth(Number(year), m);
}

/** RFC 3339 full-time: `23:59:60.5+01:00` (the offset is required; a leap second only at 23:59 UTC). */
export function isTime(text: string): boolean {
  if (text.length < 9 || text[2] !== ':' || text[5] !== ':') return false;
  const [hh, mm, ss] = [text.slice(0, 2), text.slice(3, 5), text.slice(6, 8)];
  if (!allDigits(hh) || !allDigits(mm) || !allDigits(ss)) return false;
  let i = 8;
  if (text[i] === '.') {
    const start = ++i;
    while (isDigit(text[i])) i++;
    if (i === start) return false;
  }
  const zone = text.slice(i);
  let offsetMinutes = 0;
  if (zone === 'Z' || zone === 'z') offsetMinutes = 0;
  else {
    if (zone.length !== 6 || (zone[0] !== '+' && zone[0] !== '-') || zone[3] !== ':') return false;
    const [oh, om] = [zone.slice(1, 3), zone.slice(4, 6)];
    if (!allDigits(oh) || !allDigits(om) || Number(oh) > 23 || Number(om) > 59) return false;
    offsetMinutes = (zone[0] === '+' ? 1 : -1) * (Number(oh) * 60 + Number(om));
  }
  const [hour, minute, second] = [Number(hh), Number(mm), Number(ss)];
  if (hour > 23 || minute > 59 || second > 60) return false;
  if (second === 60) {
    const utc = (((hour * 60 + minute - offsetMinutes) % 1440) + 1440) % 1440;
    return utc === 23 * 60 + 59;
  }
  return true;
}

/** RFC 3339 date-time: full-date, `T`, full-time. */
export function isDateTime(text: string): boolean {
  const separator = text[10];
  return (separator === 'T' || separator === 't') && isDate(text.slice(0, 10)) && isTime(text.slice(11));
}

/** ISO 8601 duration as RFC 3339 appendix A has it: `P3Y6M4DT12H30M5S`, `PT0.5S`, `P2W`. */
export function isDuration(text: string): boolean {
  if (text[0] !== 'P' || text.length < 2) return false;
  if (text.endsWith('W')) return allDigits(text.slice(1, -1));
  let i = 1;
  let inTime = false;
  let any = false;
  const dateUnits = 'YMD';
  const timeUnits = 'HMS';
  let lastUnit = -1;
  while (i < text.length) {
    if (text[i] === 'T') {
      if (inTime) return false;
      inTime = true;
      lastUnit = -1;
      i++;
      if (i === text.length) return false;
      continue;
    }
    const start = i;
    while (isDigit(text[i])) i++;
    if (i === start) return false;
    const unit = text[i];
    if (unit === '.' || unit === ',') {
      // Only the smallest written unit (here: seconds) may have a fraction.
      const fraction = ++i;
      while (isDigit(text[i])) i++;
      if (i === fraction || !inTime || text[i] !== 'S' || i !== text.length - 1) return false;
    }
    const units = inTime ? timeUnits : dateUnits;
    const index = units.indexOf(text[i] ?? '');
    if (index <= lastUnit) return false;
    lastUnit = index;
    any = true;
    i++;
  }
  return any;
}

/** RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens; at most 253 characters. */
export function isHostname(text: string): boolean {
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((label) => {
    if (label.length === 0 || label.length > 63 || label.startsWith('-') || label.endsWith('-')) return false;
    return [...label].every((c) => isAlpha(c) || isDigit(c) || c === '-');
  });
}

/** Dotted-quad IPv4, no leading zeros (`010.0.0.1` is ambiguous: octal in some parsers). */
export function isIpv4(text: string): boolean {
  const parts = text.split('.');
  return (
    parts.length === 4 &&
    parts.every((part) => allDigits(part) && part.length <= 3 && (part.length === 1 || part[0] !== '0') && Number(part) <= 255)
  );
}

/** RFC 4291 text form: eight hex groups, one `::` for a run of zeros, an IPv4 tail allowed. */
export function isIpv6(text: string): boolean {
  if (text.length > 45) return false;
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groupsOf = (part: string) => (part === '' ? [] : part.split(':'));
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  const all = [...head, ...tail];
  let count = all.length;
  const last = all[all.length - 1];
  if (last !== undefined && last.includes('.')) {
    // The IPv4 tail ends the address: `1.2.3.4::` is not one.
    if (!isIpv4(last) || text.endsWith(':')) return false;
    all.pop();
    count += 1;
  }
  if (!all.every((group) => group.length >= 1 && group.length <= 4 && [...group].every(isHex))) return false;
  return halves.length === 2 ? count <= 7 : count === 8;
}

/** The hex-digit forms of a UUID (any version): `8-4-4-4-12`. */
export function isUuid(text: string): boolean {
  if (text.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const dash = i === 8 || i === 13 || i === 18 || i === 23;
    if (dash ? text[i] !== '-' : !isHex(text[i])) return false;
  }
  return true;
}

const ATEXT = "!#$%&'*+-/=?^_`{|}~";

/** An address as people write them: a dot-atom local part, `@`, a host name with a dot or an `[IP]` literal. */
export function isEmail(text: string): boolean {
  const at = text.lastIndexOf('@');
  if (at <= 0 || at > 64) return false;
  const local = text.slice(0, at);
  const domain = text.slice(at + 1);
  const atoms = local.split('.');
  if (!atoms.every((atom) => atom.length > 0 && [...atom].every((c) => isAlpha(c) || isDigit(c) || ATEXT.includes(c)))) return false;
  if (domain.startsWith('[') && domain.endsWith(']')) {
    const literal = domain.slice(1, -1);
    return literal.startsWith('IPv6:') ? isIpv6(literal.slice(5)) : isIpv4(literal);
  }
  return domain.includes('.') && !domain.endsWith('.') && isHostname(domain);
}

const URI_CHARS = "-._~!$&'()*+,;=:@/?#%";

/** RFC 3986 characters, percent-encoding and at most one `#`; brackets only around an IP literal host. */
function uriCharactersValid(text: string): boolean {
  let hashes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '%') {
      if (!isHex(text[i + 1]) || !isHex(text[i + 2])) return false;
      i += 2;
    } else if (c === '#') {
      if (++hashes > 1) return false;
    } else if (!(isAlpha(c) || isDigit(c) || URI_CHARS.includes(c) || c === '[' || c === ']')) return false;
  }
  const open = text.indexOf('[');
  if (open === -1) return !text.includes(']');
  // An IP literal sits right after `//` (and any userinfo) and closes before the port or path.
  const authorityStart = text.indexOf('//');
  const close = text.indexOf(']');
  if (authorityStart === -1 || open < authorityStart || close < open || text.indexOf('[', open + 1) !== -1 || text.indexOf(']', close + 1) !== -1) return false;
  const literal = text.slice(open + 1, close);
  return isIpv6(literal) || isIpvFuture(literal);
}

/** RFC 3986 IPvFuture: `v7.anything-unreserved`. */
function isIpvFuture(literal: string): boolean {
  const dot = literal.indexOf('.');
  if (literal[0] !== 'v' || dot < 2 || dot === literal.length - 1) return false;
  return [...literal.slice(1, dot)].every(isHex) && [...literal.slice(dot + 1)].every((c) => isAlpha(c) || isDigit(c) || "-._~!$&'()*+,;=:".includes(c));
}

function schemeEnd(text: string): number {
  if (!isAlpha(text[0])) return -1;
  let i = 1;
  while (i < text.length && (isAlpha(text[i]) || isDigit(text[i]) || '+-.'.includes(text[i]!))) i++;
  return text[i] === ':' ? i : -1;
}

/** An absolute URI: a scheme, then RFC 3986 characters. */
export function isUri(text: string): boolean {
  return schemeEnd(text) > 0 && uriCharactersValid(text);
}

/** A URI or a relative reference: `../a?b#c`, `//host/x`, `#frag`, ``. */
export function isUriReference(text: string): boolean {
  const firstColon = text.indexOf(':');
  const firstDelimiter = [...'/?#'].map((c) => text.indexOf(c)).filter((i) => i !== -1);
  const colonFirst = firstColon !== -1 && firstDelimiter.every((i) => firstColon < i);
  // A colon before any / ? # makes the part before it a scheme, which must then be one.
  if (colonFirst && schemeEnd(text) !== firstColon) return false;
  return uriCharactersValid(text);
}

/** RFC 6901: empty, or `/`-prefixed tokens where `~` is only `~0` or `~1`. */
export function isJsonPointer(text: string): boolean {
  if (text !== '' && !text.startsWith('/')) return false;
  for (let i = 0; i < text.length; i++) if (text[i] === '~' && text[i + 1] !== '0' && text[i + 1] !== '1') return false;
  return true;
}

/** Syntactically a regular expression (lookaround and backreferences included: they are valid syntax). */
export function isRegex(text: string): boolean {
  const parsed = parseRegex(text);
  return parsed.ok || parsed.error.kind === 'unsupported';
}

/** The checker for each supported `format`. */
export const FORMAT_CHECKS: Readonly<Record<string, (text: string) => boolean>> = {
  'date-time': isDateTime,
  date: isDate,
  time: isTime,
  duration: isDuration,
  email: isEmail,
  hostname: isHostname,
  ipv4: isIpv4,
  ipv6: isIpv6,
  uri: isUri,
  'uri-reference': isUriReference,
  uuid: isUuid,
  'json-pointer': isJsonPointer,
  regex: isRegex,
};
