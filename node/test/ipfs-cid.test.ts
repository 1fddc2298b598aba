/**
 * Our CIDs equal Kubo's `ipfs add --cid-version=1 --raw-leaves` (256 KiB chunks, 174 links):
 *
 * - single-chunk files: the raw-codec sha2-256 CIDv1 of the bytes, computed here from first
 *   principles (multiformats), and Kubo's well-known "hello world" CID;
 * - Kubo's own published CID vectors (kubo test/cli/cid_profiles_test.go, inputs from its
 *   ChaCha20 deterministic reader) reproduced with our chunker and layout: the legacy profile's
 *   256 KiB / 174-link vectors (incl. the 174-chunk and 175-chunk DAGs) and the v1-2025 profile's
 *   raw-leaf CIDv1 vectors;
 * - multi-chunk files against ipfs-unixfs-importer run directly with the parameters written out,
 *   and the DAG's shape (174 links at most per node) read back from the blocks.
 */
import assert from "node:assert/strict";
import { createCipheriv, createHash } from "node:crypto";
import { describe, it } from "node:test";
import * as dagPb from "@ipld/dag-pb";
import { BlackHoleBlockstore, MemoryBlockstore } from "blockstore-core";
import { importFile, type ImporterOptions } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { computeCid, kuboCompatibleImporterOptions, parseCid, parseIpfsUrl, isIpfsError } from "../src/ipfs/index.ts";

const KiB256 = 262_144;

/** Kubo's test input: the ChaCha20 keystream (key sha256(seed), zero nonce, counter 0). */
function kuboDeterministicBytes(size: number, seed: string): Uint8Array {
  const key = createHash("sha256").update(seed).digest();
  const cipher = createCipheriv("chacha20", key, Buffer.alloc(16));
  return new Uint8Array(cipher.update(Buffer.alloc(size)));
}

async function importWith(bytes: Uint8Array, options: ImporterOptions, blockstore = new BlackHoleBlockstore()): Promise<string> {
  return (await importFile({ content: bytes }, blockstore, options)).cid.toString();
}

/** Our chunker and layout with the legacy profile's leaves (CIDv0, dag-pb file leaves). */
const legacyLeaves = (): ImporterOptions => ({ ...kuboCompatibleImporterOptions(), cidVersion: 0, rawLeaves: false, leafType: "file" });
/** Our leaves (CIDv1, raw) with the v1-2025 profile's 1 MiB chunks and 1024 links. */
const v1Wide = (): ImporterOptions => ({
  ...kuboCompatibleImporterOptions(),
  chunker: fixedSize({ chunkSize: 1_048_576 }),
  layout: balanced({ maxChildrenPerNode: 1024 }),
});

describe("CIDs equal Kubo's", () => {
  it("a single-chunk file is the raw-codec sha2-256 CIDv1 of its bytes", async () => {
    for (const bytes of [new Uint8Array(0), new TextEncoder().encode("NS-LLM"), kuboDeterministicBytes(KiB256, "exactly one chunk")]) {
      const expected = CID.create(1, raw.code, await sha256.digest(bytes)).toString();
      assert.match(expected, /^bafkrei/);
      assert.equal(await computeCid(bytes), expected);
    }
  });

  it("gives Kubo's well-known CIDs for \"hello world\" and the empty file", async () => {
    assert.equal(await computeCid(new TextEncoder().encode("hello world")), "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
    assert.equal(await computeCid(new Uint8Array(0)), "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  });

  it("reproduces Kubo's published 256 KiB / 174-link vectors with our chunker and layout", async () => {
    assert.equal(await importWith(new TextEncoder().encode("hello world"), legacyLeaves()), "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD");
    const chunk = kuboDeterministicBytes(KiB256 + 1, "chunk-v0-seed");
    assert.equal(await importWith(chunk.subarray(0, KiB256), legacyLeaves()), "QmWmRj3dFDZdb6ABvbmKhEL6TmPbAfBZ1t5BxsEyJrcZhE");
    assert.equal(await importWith(chunk, legacyLeaves()), "QmYyLxtzZyW22zpoVAtKANLRHpDjZtNeDjQdJrcQNWoRkJ");
    const wide = kuboDeterministicBytes(174 * KiB256 + 1, "v0-seed");
    assert.equal(await importWith(wide.subarray(0, 174 * KiB256), legacyLeaves()), "QmUbBALi174SnogsUzLpYbD4xPiBSFANF4iztWCsHbMKh2");
    assert.equal(await importWith(wide, legacyLeaves()), "QmV81WL765sC8DXsRhE5fJv2rwhS4icHRaf3J9Zk5FdRnW");
  });

  it("reproduces Kubo's published raw-leaf CIDv1 vectors with our leaves", async () => {
    const bytes = kuboDeterministicBytes(1_048_577, "chunk-v1-seed");
    assert.equal(await importWith(bytes.subarray(0, 1_048_576), v1Wide()), "bafkreiacndfy443ter6qr2tmbbdhadvxxheowwf75s6zehscklu6ezxmta");
    assert.equal(await importWith(bytes, v1Wide()), "bafybeigmix7t42i6jacydtquhet7srwvgpizfg7gjbq7627d35mjomtu64");
  });

  it("multi-chunk files equal ipfs-unixfs-importer run with Kubo's parameters written out", async () => {
    const literal = (): ImporterOptions => ({
      cidVersion: 1,
      rawLeaves: true,
      reduceSingleLeafToSelf: true,
      chunker: fixedSize({ chunkSize: 262144 }),
      layout: balanced({ maxChildrenPerNode: 174 }),
    });
    for (const size of [KiB256 + 1, 1024 * 1024, 174 * KiB256, 174 * KiB256 + 1]) {
      const bytes = kuboDeterministicBytes(size, `ns-llm-${size}`);
      const expected = await importWith(bytes, literal());
      assert.match(expected, /^bafybei/);
      assert.equal(await computeCid(bytes), expected, `${size} bytes`);
      // The same through a stream of odd-sized pieces: chunking does not depend on how bytes arrive.
      const pieces = (function* () {
        for (let at = 0; at < bytes.length; at += 100_003) yield bytes.subarray(at, at + 100_003);
      })();
      assert.equal(await computeCid(pieces), expected, `${size} bytes, streamed`);
    }
  });

  it("builds a balanced DAG of at most 174 links per node, raw leaves of 256 KiB", async () => {
    const shape = async (size: number) => {
      const store = new MemoryBlockstore();
      const cid = parseCid(await importWith(kuboDeterministicBytes(size, "shape"), kuboCompatibleImporterOptions(), store));
      const block = async (c: CID) => {
        const parts: Uint8Array[] = [];
        for await (const part of store.get(c)) parts.push(part);
        return Buffer.concat(parts);
      };
      const root = dagPb.decode(await block(cid));
      const first = root.Links[0]!.Hash;
      return { root, first, firstBlock: first.code === raw.code ? await block(first) : undefined, child: first.code === dagPb.code ? dagPb.decode(await block(first)) : undefined };
    };
    const flat = await shape(174 * KiB256);
    assert.equal(flat.root.Links.length, 174);
    assert.equal(flat.first.code, raw.code);
    assert.equal(flat.firstBlock!.length, KiB256);
    const deep = await shape(174 * KiB256 + 1);
    assert.equal(deep.root.Links.length, 2);
    assert.equal(deep.child!.Links.length, 174);
  });
});

describe("CID input", () => {
  it("parses CIDs and ipfs:// URLs, refusing anything else with invalid_cid", () => {
    assert.equal(parseCid(" bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e ").version, 1);
    assert.equal(parseCid("Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD").version, 0);
    assert.deepEqual(parseIpfsUrl("ipfs://Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD/dir/model.gguf"), {
      cid: "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD",
      path: "dir/model.gguf",
    });
    for (const bad of ["", "bafkreiexample", "not a cid", "https://example.org"]) {
      assert.throws(() => parseCid(bad), (e) => isIpfsError(e, "invalid_cid"), bad);
    }
    assert.throws(() => parseIpfsUrl("https://example.org/x"), (e) => isIpfsError(e, "invalid_cid"));
    assert.throws(() => parseIpfsUrl("ipfs:///x"), (e) => isIpfsError(e, "invalid_cid"));
  });
});
