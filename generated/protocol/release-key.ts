/**
 * A release signer's public key as a release proposal carries it: one line of the proposal's
 * description, `release-key: <SPKI DER base64>`, written by whoever proposes (the dApp's propose
 * page, `ns-llm propose --role release`) and read by every voter's browser to check the release's
 * signature without trusting a node. A key read here is only a candidate: it is used for a
 * signature only when it hashes to the signature's `keyId` (`releaseKeyIdOfSpki`).
 *
 * Pure (no node:crypto, no Buffer): the node and the browser run the same code.
 */
import { ed25519KeyFromSpki, releaseKeyIdOfSpki } from "./release.ts";

/** A release public key: its SPKI DER bytes and its id (`sha256:<hex>` of those bytes). */
export type ReleaseKey = { id: string; spki: Uint8Array };

/** The key whose SPKI DER bytes are `spki` (an Ed25519 key, else it throws). */
export function releaseKeyFromSpki(spki: Uint8Array): ReleaseKey {
  if (!ed25519KeyFromSpki(spki)) throw new Error("not an Ed25519 public key (release keys are Ed25519)");
  return { id: releaseKeyIdOfSpki(spki), spki };
}

/** The line a release proposal's description carries its signer's public key on. */
const KEY_LINE = /^release-key: ([A-Za-z0-9+/]+={0,2})\s*$/m;

/** `release-key: <SPKI base64>`: the line for `key` in a release proposal's description. */
export function releaseKeyLine(key: ReleaseKey): string {
  return `release-key: ${bytesToBase64(key.spki)}`;
}

/**
 * The public key a release proposal's description names on its `release-key:` line (the first
 * one), or undefined when it has none or the line holds no Ed25519 key.
 */
export function releaseKeyFromDescription(description: string | undefined): ReleaseKey | undefined {
  const match = description ? KEY_LINE.exec(description) : null;
  if (!match) return undefined;
  try {
    return releaseKeyFromSpki(base64ToBytes(match[1]!));
  } catch {
    return undefined;
  }
}

export function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
