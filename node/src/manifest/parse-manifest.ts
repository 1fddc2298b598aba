import { sha256Hex } from "./digest.ts";
import { ruleProblems, type ManifestCheckOptions } from "./checks.ts";
import { schemaProblems, type Manifest, type ManifestProblem, type SchemaProblem } from "@ns-llm/contracts";
import { ManifestError } from "./errors.ts";

/** Manifests larger than this are refused before parsing (the HTTP API's body limit). */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

export type ParseManifestParameters = Uint8Array | string | object;

export type ParseManifestOptions = ManifestCheckOptions & {
  /** Refuse documents above this many bytes; default MAX_MANIFEST_BYTES. */
  maxManifestBytes?: number;
  /** How errors name the document, e.g. the file name; default "manifest". */
  subject?: string;
};

export type ParseManifestReturnType = Manifest;

/**
 * Parses and checks a manifest: UTF-8 JSON (bytes or text) or an already parsed value. Refuses it
 * with one `ManifestError` that lists every problem (JSON pointer + message): the schema's, then
 * the node's rules (paths inside their folder and unique, total size, source schemes).
 */
export function parseManifest(input: ParseManifestParameters, options: ParseManifestOptions = {}): ParseManifestReturnType {
  const subject = options.subject ?? "manifest";
  const value = typeof input === "string" || input instanceof Uint8Array ? decode(input, options, subject) : plain(input, subject);
  const problems = mergeProblems(schemaProblems(value), ruleProblems(value, options));
  if (problems.length > 0) throw new ManifestError("manifest_invalid", problems, subject);
  return value as Manifest;
}

/**
 * Checks bytes fetched for an adopted manifest against the digest they were adopted with
 * (0x-prefixed sha256 of the exact bytes), then parses them.
 */
export function parseAdoptedManifest(
  bytes: Uint8Array,
  digest: string,
  options: ParseManifestOptions = {},
): ParseManifestReturnType {
  const actual = `0x${sha256Hex(bytes)}`;
  if (actual.toLowerCase() !== digest.toLowerCase()) {
    throw new ManifestError(
      "digest_mismatch",
      [{ pointer: "", message: `has digest ${actual}, expected ${digest.toLowerCase()}` }],
      options.subject ?? "manifest",
    );
  }
  return parseManifest(bytes, options);
}

function decode(input: Uint8Array | string, options: ParseManifestOptions, subject: string): unknown {
  const limit = options.maxManifestBytes ?? MAX_MANIFEST_BYTES;
  const size = typeof input === "string" ? Buffer.byteLength(input, "utf8") : input.byteLength;
  if (size > limit) {
    throw new ManifestError("manifest_too_large", [{ pointer: "", message: `is ${size} bytes, more than the ${limit} a manifest may have` }], subject);
  }
  let text: string;
  try {
    text = typeof input === "string" ? input : new TextDecoder("utf-8", { fatal: true }).decode(input);
  } catch {
    throw new ManifestError("manifest_not_json", [{ pointer: "", message: "is not UTF-8 text" }], subject);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ManifestError("manifest_not_json", [{ pointer: "", message: `is not JSON (${(error as Error).message})` }], subject);
  }
}

/** A deep copy holding only JSON data, so a caller's later changes cannot alter a checked value. */
function plain(input: object, subject: string): unknown {
  try {
    return JSON.parse(JSON.stringify(input));
  } catch (error) {
    throw new ManifestError("manifest_not_json", [{ pointer: "", message: `is not JSON data (${(error as Error).message})` }], subject);
  }
}

/**
 * One clear reason per place: where the node's rules and a schema pattern/format both refuse the
 * same string (e.g. a path with ".."), the rule's message is kept; where a string fails both its
 * pattern and its format, the pattern's message is kept.
 */
function mergeProblems(fromSchema: SchemaProblem[], fromRules: ManifestProblem[]): ManifestProblem[] {
  const ruled = new Set(fromRules.map((p) => p.pointer));
  const patterned = new Set(fromSchema.filter((p) => p.keyword === "pattern").map((p) => p.pointer));
  const kept = fromSchema.filter(
    (p) =>
      !(SHAPE_KEYWORDS.has(p.keyword) && ruled.has(p.pointer)) && !(p.keyword === "format" && patterned.has(p.pointer)),
  );
  const out: ManifestProblem[] = [];
  const seen = new Set<string>();
  for (const { pointer, message } of [...kept, ...fromRules]) {
    const key = `${pointer}\u0000${message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ pointer, message });
    }
  }
  return out.sort((a, b) => comparePointers(a.pointer, b.pointer));
}

/** Keywords about a string's shape, which the node's own rules describe better. */
const SHAPE_KEYWORDS = new Set(["pattern", "format", "minLength"]);

/** Document order: "/model/artifacts/2" before "/model/artifacts/10". */
function comparePointers(a: string, b: string): number {
  const x = a.split("/");
  const y = b.split("/");
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const [p, q] = [x[i]!, y[i]!];
    if (p === q) continue;
    const [m, n] = [Number(p), Number(q)];
    if (p !== "" && q !== "" && Number.isInteger(m) && Number.isInteger(n)) return m - n;
    return p < q ? -1 : 1;
  }
  return x.length - y.length;
}
