/**
 * Canonical JSON (RFC 8785) for every record entry, and strict parsing of it (spec §4.1),
 * matching protocol/canonical.py: an entry is accepted only if re-encoding what was parsed
 * gives back exactly the bytes received. `JSON.parse` cannot do this (it keeps the last of
 * duplicate keys, loses integers above 2^53 and accepts whitespace), so the parser is our own.
 */
import canonicalize from 'canonicalize';
import { equalBytes, utf8 } from './bytes.ts';
import { MalformedInput } from './errors.ts';

/** A JSON value as the protocol uses it (numbers are integers with |i| ≤ 2^53 − 1). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** No single record entry may exceed 1 MiB (spec §4.1). */
export const MAX_ENTRY_BYTES = 1 << 20;
export const MAX_DEPTH = 16;
export const MAX_SAFE_INT = Number.MAX_SAFE_INTEGER;

/** Refuse what RFC 8785 cannot carry exactly or what Python's encoder refuses: floats,
 * integers beyond ±(2^53 − 1), non-plain objects, undefined, functions, bigints, cycles. */
function checkEncodable(v: unknown, seen: Set<object>): void {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return;
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || Math.abs(v) > MAX_SAFE_INT) {
      throw new MalformedInput('record entries hold only integers with |i| ≤ 2^53 − 1', 'not_canonical');
    }
    return;
  }
  if (typeof v !== 'object') {
    throw new MalformedInput(`a ${typeof v} cannot be canonically encoded`, 'not_canonical');
  }
  if (seen.has(v)) throw new MalformedInput('value contains a cycle', 'not_canonical');
  seen.add(v);
  if (Array.isArray(v)) {
    for (const x of v) checkEncodable(x, seen);
  } else {
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      throw new MalformedInput('only plain objects can be canonically encoded', 'not_canonical');
    }
    for (const k of Object.keys(v)) checkEncodable((v as Record<string, unknown>)[k], seen);
  }
  seen.delete(v);
}

/** RFC 8785 text of a JSON value (keys sorted by UTF-16 code units, minimal escapes). */
export function canonicalText(value: unknown): string {
  checkEncodable(value, new Set());
  let out: string | undefined;
  try {
    out = canonicalize(value);
  } catch (e) {
    throw new MalformedInput(`value cannot be canonically encoded: ${(e as Error).message}`, 'not_canonical');
  }
  if (out === undefined) throw new MalformedInput('value cannot be canonically encoded', 'not_canonical');
  return out;
}

/** RFC 8785 bytes (UTF-8) of a JSON value: what is signed, hashed and stored (spec §4.1). */
export function canonical(value: unknown): Uint8Array {
  return utf8(canonicalText(value));
}

// -- strict parsing ------------------------------------------------------------------------

const DECODER = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Deeper than this the parse stops at once (Python's recursion limit does the same). */
const HARD_DEPTH = 512;

class Parser {
  private i = 0;
  maxDepth = 0;

  constructor(private readonly s: string) {}

  private fail(what: string): never {
    throw new MalformedInput(`malformed JSON: ${what} at character ${this.i}`, 'malformed_json');
  }

  private ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.i++;
      else break;
    }
  }

  parseDocument(): Json {
    this.ws();
    const v = this.value(0);
    this.ws();
    if (this.i !== this.s.length) this.fail('extra data');
    return v;
  }

  private value(depth: number): Json {
    const s = this.s;
    if (this.i >= s.length) this.fail('expected a value');
    const c = s[this.i]!;
    if (c === '{') return this.object(depth + 1);
    if (c === '[') return this.array(depth + 1);
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    if (s.startsWith('true', this.i)) {
      this.i += 4;
      return true;
    }
    if (s.startsWith('false', this.i)) {
      this.i += 5;
      return false;
    }
    if (s.startsWith('null', this.i)) {
      this.i += 4;
      return null;
    }
    return this.fail('unexpected character');
  }

  private enter(depth: number): void {
    if (depth > this.maxDepth) this.maxDepth = depth;
    if (depth > HARD_DEPTH) this.fail('nested too deeply');
  }

  private object(depth: number): JsonObject {
    this.enter(depth);
    this.i++; // {
    const out: JsonObject = {};
    const keys: string[] = [];
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail('expected a string key');
      const k = this.string();
      this.ws();
      if (this.s[this.i] !== ':') this.fail("expected ':'");
      this.i++;
      this.ws();
      const v = this.value(depth);
      keys.push(k);
      // defineProperty: a "__proto__" key is data, never the prototype.
      Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
      this.ws();
      const c = this.s[this.i];
      this.i++;
      if (c === ',') continue;
      if (c === '}') break;
      this.i--;
      this.fail("expected ',' or '}'");
    }
    // Like Python's object_pairs_hook: duplicates are found when the object is complete.
    if (Object.keys(out).length !== keys.length) {
      const seen = new Set<string>();
      for (const k of keys) {
        if (seen.has(k)) throw new MalformedInput(`duplicate key ${JSON.stringify(k.slice(0, 40))}`, 'duplicate_key');
        seen.add(k);
      }
    }
    return out;
  }

  private array(depth: number): Json[] {
    this.enter(depth);
    this.i++; // [
    const out: Json[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value(depth));
      this.ws();
      const c = this.s[this.i];
      this.i++;
      if (c === ',') continue;
      if (c === ']') return out;
      this.i--;
      this.fail("expected ',' or ']'");
    }
  }

  private string(): string {
    const s = this.s;
    this.i++; // opening quote
    let out = '';
    let start = this.i;
    for (;;) {
      if (this.i >= s.length) this.fail('unterminated string');
      const c = s.charCodeAt(this.i);
      if (c === 0x22) {
        out += s.slice(start, this.i);
        this.i++;
        return out;
      }
      if (c < 0x20) this.fail('control character in string');
      if (c !== 0x5c) {
        this.i++;
        continue;
      }
      out += s.slice(start, this.i);
      const e = s[this.i + 1];
      this.i += 2;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const h = s.slice(this.i, this.i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(h)) this.fail('bad \\u escape');
          out += String.fromCharCode(parseInt(h, 16));
          this.i += 4;
          break;
        }
        default:
          this.i -= 2;
          this.fail('invalid escape');
      }
      start = this.i;
    }
  }

  private number(): number {
    const s = this.s;
    const start = this.i;
    if (s[this.i] === '-') this.i++;
    const digitsStart = this.i;
    if (s[this.i] === '0') this.i++;
    else if (s[this.i] !== undefined && s[this.i]! >= '1' && s[this.i]! <= '9') {
      while (this.i < s.length && s[this.i]! >= '0' && s[this.i]! <= '9') this.i++;
    } else this.fail('bad number');
    const digits = this.i - digitsStart;
    let isFloat = false;
    if (s[this.i] === '.') {
      const j = this.i + 1;
      let k = j;
      while (k < s.length && s[k]! >= '0' && s[k]! <= '9') k++;
      if (k > j) {
        this.i = k;
        isFloat = true;
      }
    }
    if (s[this.i] === 'e' || s[this.i] === 'E') {
      let k = this.i + 1;
      if (s[k] === '+' || s[k] === '-') k++;
      const j = k;
      while (k < s.length && s[k]! >= '0' && s[k]! <= '9') k++;
      if (k > j) {
        this.i = k;
        isFloat = true;
      }
    }
    const text = s.slice(start, this.i);
    if (isFloat) throw new MalformedInput(`non-integer number ${text.slice(0, 20)}`, 'not_canonical');
    if (digits > 16) throw new MalformedInput(`integer ${text.slice(0, 20)}… is beyond ±(2^53 − 1)`, 'not_canonical');
    const v = Number(text);
    if (Math.abs(v) > MAX_SAFE_INT) {
      throw new MalformedInput(`integer ${text} is beyond ±(2^53 − 1)`, 'not_canonical');
    }
    return v === 0 ? 0 : v; // -0 parses to 0, and then fails the canonical comparison
  }
}

/** Parse bytes as JSON and require them to be exactly their own RFC 8785 encoding (spec §4.1).
 * Checks in Python's order: size (too_large), UTF-8 and JSON (malformed_json; floats,
 * long integers: not_canonical; duplicate_key), depth ≤ 16 (malformed_json), canonical form. */
export function parseCanonical(data: Uint8Array, maxBytes: number = MAX_ENTRY_BYTES): Json {
  if (data.length > maxBytes) {
    throw new MalformedInput(`entry is ${data.length} bytes, more than the limit of ${maxBytes}`, 'too_large');
  }
  let text: string;
  try {
    text = DECODER.decode(data);
  } catch {
    throw new MalformedInput('not UTF-8', 'malformed_json');
  }
  const parser = new Parser(text);
  const value = parser.parseDocument();
  if (parser.maxDepth > MAX_DEPTH) {
    throw new MalformedInput(`JSON nested deeper than ${MAX_DEPTH}`, 'malformed_json');
  }
  let again: Uint8Array;
  try {
    again = canonical(value);
  } catch (e) {
    if (e instanceof MalformedInput) throw e;
    throw new MalformedInput('not canonical JSON', 'not_canonical');
  }
  if (!equalBytes(again, data)) {
    throw new MalformedInput(
      'not canonical JSON (RFC 8785): duplicate keys, key order, whitespace or escaping differ from the canonical form',
      'not_canonical',
    );
  }
  return value;
}

/** True for a JSON object (not an array, not null). */
export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
