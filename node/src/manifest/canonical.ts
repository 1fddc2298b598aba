/**
 * The one way the project writes manifests: keys sorted (recursively), two-space indentation,
 * a final newline, UTF-8. The same manifest always gives the same bytes, so the same digest.
 */

/** Canonical JSON text of `value`: sorted keys, 2-space indent, trailing newline. */
export function canonicalJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

/** The canonical bytes of a manifest (or any JSON value). */
export function encodeManifest(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}
