/**
 * Canonical JSON (RFC 8785, JCS, for the values an audit entry holds): object keys sorted by
 * UTF-16 code units, recursively, no whitespace, numbers and strings as ECMAScript's JSON
 * serialises them. The same value always gives the same bytes, so anyone can recompute an
 * entry's hash from its content. Written here rather than taken from `canonicalize` because it
 * must also refuse what JSON cannot carry faithfully (NaN, Infinity, bigint, undefined in an
 * array, class instances, cycles) instead of silently turning it into something else.
 * Pure: usable in the browser.
 */

import { NsLlmError } from "../errors.ts";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A value canonicalJson refused, and where it sits (`$.parameters.topP`). */
export class CanonicalJsonError extends NsLlmError<"not_json"> {
  readonly path: string;

  constructor(path: string, what: string) {
    super("not_json", `${path} ${what}`);
    this.path = path;
  }
}

const MAX_DEPTH = 64;

/**
 * The canonical JSON text of `value`. Object properties whose value is `undefined` are left out
 * (as JSON.stringify does), so optional fields may simply be absent.
 * Throws a CanonicalJsonError for anything JSON cannot carry faithfully.
 */
export function canonicalJson(value: unknown): string {
  return write(value, "$", 0);
}

/** The UTF-8 bytes of canonicalJson(value): what an audit entry's leaf hash covers. */
export function canonicalBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}

function write(value: unknown, path: string, depth: number): string {
  if (depth > MAX_DEPTH) throw new CanonicalJsonError(path, `is nested deeper than ${MAX_DEPTH} levels (a cycle?)`);
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new CanonicalJsonError(path, `is ${value}, which JSON cannot represent`);
      return JSON.stringify(value);
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) {
        return `[${value.map((item, i) => {
          if (item === undefined) throw new CanonicalJsonError(`${path}[${i}]`, "is undefined");
          return write(item, `${path}[${i}]`, depth + 1);
        }).join(",")}]`;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new CanonicalJsonError(path, `is a ${proto?.constructor?.name ?? "non-plain"} object; only plain objects, arrays, strings, finite numbers, booleans and null are allowed`);
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).filter((key) => record[key] !== undefined).sort();
      return `{${keys.map((key) => `${JSON.stringify(key)}:${write(record[key], `${path}.${key}`, depth + 1)}`).join(",")}}`;
    }
    default:
      throw new CanonicalJsonError(path, `is a ${typeof value}, which JSON cannot represent${typeof value === "bigint" ? " (convert it to a string)" : ""}`);
  }
}
