/**
 * RFC 6962 hashing against the Certificate Transparency reference vectors (the 8-leaf tree of the
 * CT Go and C++ test suites), against a by-the-book recursive implementation, and for every leaf
 * of every tree up to 70 leaves.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { bytesToHex, hexToBytes } from "viem";
import { auditPath, buildMerkleTree, leafHash, merkleRoot, nodeHash, verifyInclusion } from "../src/audit/merkle.ts";

const CT_ENTRIES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"].map((h) => hexToBytes(`0x${h}`));
const CT_LEAVES = CT_ENTRIES.map(leafHash);
/** Roots of the trees of the first 0..8 CT entries. */
const CT_ROOTS = [
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];
/** CT's inclusion proof vectors: leaf (0-based), tree size, path. */
const CT_PATHS: [number, number, string[]][] = [
  [0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]],
  [5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]],
  [2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]],
  [1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]],
];

const plain = (b: Uint8Array) => bytesToHex(b).slice(2);
const fromPlain = (h: string) => hexToBytes(`0x${h}`);

// RFC 6962 section 2.1, written out literally with node:crypto (a second SHA-256 implementation).
const H = (...parts: Uint8Array[]) => new Uint8Array(createHash("sha256").update(Buffer.concat(parts)).digest());
const k = (n: number) => 2 ** Math.ceil(Math.log2(n) - 1); // largest power of two smaller than n (n > 1)
function mth(d: Uint8Array[]): Uint8Array {
  if (d.length === 0) return H();
  if (d.length === 1) return H(Uint8Array.of(0), d[0]!);
  const split = k(d.length);
  return H(Uint8Array.of(1), mth(d.slice(0, split)), mth(d.slice(split)));
}
function path(m: number, d: Uint8Array[]): Uint8Array[] {
  if (d.length === 1) return [];
  const split = k(d.length);
  return m < split ? [...path(m, d.slice(0, split)), mth(d.slice(split))] : [...path(m - split, d.slice(split)), mth(d.slice(0, split))];
}

describe("RFC 6962 Merkle trees", () => {
  it("hashes leaves and nodes with the 0x00 / 0x01 prefixes", () => {
    assert.equal(plain(leafHash(new Uint8Array())), CT_ROOTS[1]);
    const [a, b] = [CT_LEAVES[0]!, CT_LEAVES[1]!];
    assert.deepEqual(nodeHash(a, b), H(Uint8Array.of(1), a, b));
  });

  it("gives the CT reference roots for 0..8 leaves, and so does the literal RFC recursion", () => {
    for (let n = 0; n <= 8; n++) {
      assert.equal(plain(merkleRoot(CT_LEAVES.slice(0, n))), CT_ROOTS[n], `tree of ${n}`);
      assert.equal(plain(mth(CT_ENTRIES.slice(0, n))), CT_ROOTS[n], `by hand, tree of ${n}`);
    }
  });

  it("gives the CT reference audit paths, and they verify", () => {
    for (const [index, size, expected] of CT_PATHS) {
      const got = auditPath(index, CT_LEAVES.slice(0, size));
      assert.deepEqual(got.map(plain), expected, `leaf ${index} of ${size}`);
      assert.ok(verifyInclusion(CT_LEAVES[index]!, index, size, got, fromPlain(CT_ROOTS[size]!)));
      assert.ok(!verifyInclusion(CT_LEAVES[index]!, index, size, got, fromPlain(CT_ROOTS[size - 1]!)));
    }
  });

  it("matches the literal recursion for every leaf of every tree up to 70 leaves; wrong inputs fail", () => {
    const entries = Array.from({ length: 70 }, (_, i) => Uint8Array.of(i, i * 7, 255 - i));
    const leaves = entries.map(leafHash);
    for (let n = 1; n <= 70; n++) {
      const tree = buildMerkleTree(leaves.slice(0, n));
      assert.deepEqual(tree.root, mth(entries.slice(0, n)), `root of ${n}`);
      for (let m = 0; m < n; m++) {
        const p = tree.auditPath(m);
        assert.deepEqual(p, path(m, entries.slice(0, n)), `path of ${m} in ${n}`);
        assert.ok(verifyInclusion(leaves[m]!, m, n, p, tree.root), `verify ${m} in ${n}`);
        assert.ok(!verifyInclusion(leaves[(m + 1) % 70]!, m, n, p, tree.root), "another leaf");
        if (n > 1) {
          assert.ok(!verifyInclusion(leaves[m]!, (m + 1) % n, n, p, tree.root), "another index");
          assert.ok(!verifyInclusion(leaves[m]!, m, n, p.slice(1), tree.root), "a shorter path");
          assert.ok(!verifyInclusion(leaves[m]!, m, n, [...p, tree.root], tree.root), "a longer path");
        }
      }
    }
  });

  it("refuses impossible indices", () => {
    assert.ok(!verifyInclusion(CT_LEAVES[0]!, 1, 1, [], CT_LEAVES[0]!));
    assert.ok(!verifyInclusion(CT_LEAVES[0]!, -1, 1, [], CT_LEAVES[0]!));
    assert.ok(verifyInclusion(CT_LEAVES[0]!, 0, 1, [], CT_LEAVES[0]!));
    assert.throws(() => auditPath(3, CT_LEAVES.slice(0, 3)), RangeError);
  });
});
