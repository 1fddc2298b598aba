/**
 * RFC 6962 (Certificate Transparency) Merkle trees with SHA-256, as in RFC 9162 section 2.1:
 * leaf hash = SHA-256(0x00 || entry), node hash = SHA-256(0x01 || left || right), a tree of n > 1
 * leaves splits at the largest power of two smaller than n, the empty tree's hash is SHA-256("").
 * The prefixes keep a leaf from ever passing for an inner node (second-preimage attacks), and
 * unlike Bitcoin's tree an odd node is never paired with itself, so no two leaf lists share a root.
 *
 * Pure functions over Uint8Array with no node: import, so the dApp verifies proofs in the browser
 * with the same code. SHA-256 comes from viem (@noble/hashes), which both sides already load.
 */
import { sha256 as viemSha256 } from "viem";

export type Hash = Uint8Array;

export function sha256(data: Uint8Array): Hash {
  return viemSha256(data, "bytes");
}

/** SHA-256(0x00 || entry): the hash of one log entry's bytes. */
export function leafHash(entry: Uint8Array): Hash {
  const data = new Uint8Array(entry.length + 1);
  data[0] = 0x00;
  data.set(entry, 1);
  return sha256(data);
}

/** SHA-256(0x01 || left || right): the hash of an inner node. */
export function nodeHash(left: Hash, right: Hash): Hash {
  const data = new Uint8Array(1 + left.length + right.length);
  data[0] = 0x01;
  data.set(left, 1);
  data.set(right, 1 + left.length);
  return sha256(data);
}

/** The Merkle tree hash (root) of `leaves` (leaf hashes, in order). SHA-256("") for none. */
export function merkleRoot(leaves: readonly Hash[]): Hash {
  if (leaves.length === 0) return sha256(new Uint8Array());
  return buildMerkleTree(leaves).root;
}

/**
 * The audit path (RFC 6962 PATH) of leaf `index` in the tree of `leaves`: the sibling hashes from
 * the leaf up to the root. Builds the tree each call; to prove many leaves of one tree, build it
 * once with buildMerkleTree.
 */
export function auditPath(index: number, leaves: readonly Hash[]): Hash[] {
  return buildMerkleTree(leaves).auditPath(index);
}

export type MerkleTree = {
  readonly size: number;
  readonly root: Hash;
  auditPath(index: number): Hash[];
};

/**
 * Builds the tree of `leaves` (at least one) level by level: pairs are hashed left to right and a
 * level's odd last node moves up unchanged. This is the same tree as RFC 6962's recursive split at
 * the largest power of two below n (the left subtree is always complete, so only the rightmost
 * node of a level can be unpaired), built in O(n) and answering each audit path in O(log n).
 */
export function buildMerkleTree(leaves: readonly Hash[]): MerkleTree {
  if (leaves.length === 0) throw new RangeError("a Merkle tree needs at least one leaf");
  const levels: Hash[][] = [leaves.slice()];
  for (let level = levels[0]!; level.length > 1; ) {
    const up: Hash[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) up.push(nodeHash(level[i]!, level[i + 1]!));
    if (level.length % 2 === 1) up.push(level[level.length - 1]!);
    levels.push(up);
    level = up;
  }
  const size = leaves.length;
  return {
    size,
    root: levels[levels.length - 1]![0]!,
    auditPath(index: number): Hash[] {
      checkIndex(index, size);
      const path: Hash[] = [];
      let i = index;
      for (const level of levels.slice(0, -1)) {
        const sibling = i ^ 1;
        // The unpaired last node of a level has no sibling here: it moves up as it is.
        if (sibling < level.length) path.push(level[sibling]!);
        i >>= 1;
      }
      return path;
    },
  };
}

/**
 * True when `path` proves that `leaf` (a leaf hash) is leaf number `index` of the tree of `size`
 * leaves whose root is `root` (RFC 9162, 2.1.3.2).
 */
export function verifyInclusion(leaf: Hash, index: number, size: number, path: readonly Hash[], root: Hash): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  // Plain numbers are exact below 2^53, far above any batch; Math.floor keeps the shifts exact.
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(r, root);
}

/** Constant-length byte comparison. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

function checkIndex(index: number, size: number): void {
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`leaf index ${index} is outside a tree of ${size} leaves`);
  }
}
