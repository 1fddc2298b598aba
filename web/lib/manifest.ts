/**
 * Manifest v1 helpers for the forms and the proposal page: pruning empty fields, reading form
 * fields, and comparing two manifests. The manifest's types are the protocol's.
 */
import { isSignedReleaseDocument, type Manifest, type Role } from "@ns-llm/contracts";

export type { Manifest, ManifestArtifact, ManifestParameters } from "@ns-llm/contracts";

/**
 * The name a governed document goes by: a manifest's `name`, or `ns-llm-<version>` for a signed
 * release file (role `release`, which has no name field; its signature is checked on the proposal page).
 */
export function documentName(document: Manifest | undefined): string | undefined {
  if (document && isSignedReleaseDocument(document)) {
    const version = (document as unknown as { manifest?: { version?: unknown } }).manifest?.version;
    return typeof version === "string" ? `ns-llm-${version}` : "a signed release";
  }
  return document?.name;
}

/** What a form made: a manifest's fields as typed, a Manifest only once the schema check passes. */
export type ManifestDraft = { schema: string; role: Role; name: string; description?: string; [field: string]: unknown };

/**
 * Drops keys whose value is undefined, an empty string or an empty array or object, except the
 * keys in `keep` (an artifact's `sources` is required even when empty).
 */
export function prune<T>(value: T, keep: ReadonlySet<string> = new Set(["sources"])): T {
  if (Array.isArray(value)) return value.map((v) => prune(v, keep)) as T;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const pruned = prune(v, keep);
      if (pruned === undefined || pruned === "") continue;
      if (Array.isArray(pruned) && pruned.length === 0 && !keep.has(key)) continue;
      if (pruned && typeof pruned === "object" && !Array.isArray(pruned) && Object.keys(pruned).length === 0) continue;
      out[key] = pruned;
    }
    return out as T;
  }
  return value;
}

/** One line of a difference between two manifests: a dotted path and its two values. */
export type ManifestChange = { path: string; before: unknown; after: unknown };

function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${key}` : key, out);
  } else if (Array.isArray(value) && value.some((v) => v && typeof v === "object")) {
    value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, out));
  } else {
    out.set(prefix, value);
  }
}

/** What changes from `before` to `after`, field by field (arrays of scalars compare whole). */
export function diffManifests(before: unknown, after: unknown): ManifestChange[] {
  const a = new Map<string, unknown>();
  const b = new Map<string, unknown>();
  flatten(before, "", a);
  flatten(after, "", b);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  return paths
    .filter((path) => JSON.stringify(a.get(path)) !== JSON.stringify(b.get(path)))
    .map((path) => ({ path, before: a.get(path), after: b.get(path) }));
}

/**
 * A number from a form field, undefined when the field is empty, and the text itself when it is
 * not a number (so that the schema check names the field).
 */
export function numberField(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const value = Number(trimmed);
  return (Number.isFinite(value) ? value : trimmed) as number;
}

/** Lines of a textarea, trimmed, without the empty ones. */
export function lines(text: string): string[] {
  return text.split("\n").map((l) => l.trim()).filter(Boolean);
}
