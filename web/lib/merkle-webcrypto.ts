/**
 * RFC 6962 / RFC 9162 Merkle hashing with the browser's own SHA-256 (Web Crypto), so that checking
 * an audit proof trusts neither the node nor a JavaScript hash library: leaf = SHA-256(0x00 ||
 * entry), node = SHA-256(0x01 || left || right). The same algorithm as the node's
 * node/src/audit/merkle.ts, which the node uses to build the proofs.
 */

export type Bytes = Uint8Array<ArrayBuffer>;

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new Error("Web Crypto is not available: open the app over https or from localhost (a secure context)");
  return s;
}

export async function sha256(data: Bytes): Promise<Bytes> {
  return new Uint8Array(await subtle().digest("SHA-256", data));
}

function prefixed(prefix: number, ...parts: Uint8Array[]): Bytes {
  const out = new Uint8Array(1 + parts.reduce((n, p) => n + p.length, 0));
  out[0] = prefix;
  let at = 1;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** SHA-256(0x00 || entry). */
export function leafHash(entry: Uint8Array): Promise<Bytes> {
  return sha256(prefixed(0x00, entry));
}

/** SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Promise<Bytes> {
  return sha256(prefixed(0x01, left, right));
}

export type RootFromPathReturnType =
  | { ok: true; root: Bytes }
  /** The path's length does not fit a tree of `size` leaves (too short or too long). */
  | { ok: false; reason: string };

/**
 * The root that `path` leads to from `leaf`, leaf number `index` of a tree of `size` leaves
 * (RFC 9162 2.1.3.2: at each level the sibling is on the left when the node is a right child or
 * the last node of its level, which then moves up unpaired). The caller compares the root.
 */
export async function rootFromPath(leaf: Uint8Array, index: number, size: number, path: readonly Uint8Array[]): Promise<RootFromPathReturnType> {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    return { ok: false, reason: `position ${index} is outside a batch of ${size} entries` };
  }
  let fn = index;
  let sn = size - 1;
  let r: Bytes = new Uint8Array(leaf);
  for (const p of path) {
    if (sn === 0) return { ok: false, reason: `the path has ${path.length} hashes, more than a batch of ${size} entries needs` };
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      // A last node that is a left child moves up unpaired until it becomes a right child.
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) return { ok: false, reason: `the path has ${path.length} hashes, fewer than a batch of ${size} entries needs` };
  return { ok: true, root: r };
}

export function toHex(bytes: Uint8Array): `0x${string}` {
  return `0x${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Bytes of a `0x`-prefixed hex string; throws on anything else. */
export function fromHex(hex: string): Bytes {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(hex)) throw new Error(`"${hex.slice(0, 20)}…" is not hex`);
  const out = new Uint8Array((hex.length - 2) / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 + i * 2, 4 + i * 2), 16);
  return out;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
