/**
 * The one way the project writes a manifest, and the digest a proposal adopts it with. The same
 * manifest always gives the same bytes (keys sorted recursively, two-space indentation, a final
 * newline, UTF-8), so the node, the CLI and the dApp compute the same digest for it.
 */
import { sha256, type Hex } from "viem";

/** Canonical JSON text of a manifest: sorted keys, 2-space indent, trailing newline. */
export function canonicalManifestJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

/** The canonical bytes of a manifest (or any JSON value). */
export function encodeManifest(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalManifestJson(value));
}

/**
 * The digest a proposal adopts a manifest with: sha256 of the manifest file's exact bytes, as a
 * 0x-prefixed bytes32 (what `ModelRegistry.adopt` takes). Re-serialising changes it; write
 * manifests with `encodeManifest` so the bytes are stable.
 */
export function manifestDigest(bytes: Uint8Array | string): Hex {
  return sha256(typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes);
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
