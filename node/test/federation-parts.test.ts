/**
 * The federated cache's parts, in this process: the record's CID is the one `ipfs add` gives its
 * bytes; the codec refuses what is too large, not JSON, or not the schema; the peer answer store
 * keeps to its bounds (count and bytes, least recently used first); the rate limit lets a burst
 * through and then `perSecond`; and two federations over libp2p on loopback: an announced answer
 * is found by the other, a change of the receiver's manifests moves it to another topic and drops
 * the answers of the old set, and a node without an operator key announces nothing.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import type { FederatedAnswerRecord, FederationManifestSet } from "@ns-llm/contracts";
import { Registry } from "prom-client";
import { privateKeyToAccount } from "viem/accounts";
import { createFederation, createFederationLibp2p, decodeMessage, encodeMessage, federationTopic, recordBytes, recordCid, signRecord, verifyRecord, type Federation } from "../src/federation/index.ts";
import { createPeerRateLimit } from "../src/federation/rate-limit.ts";
import { createPeerAnswerStore, type PeerAnswer } from "../src/federation/store.ts";
import { cacheKey } from "../src/gateway/cache-key.ts";
import { computeCid } from "../src/ipfs/import-options.ts";

const account = privateKeyToAccount("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
const SET: FederationManifestSet = { generation: "bafkreigeneration", embedding: "bafkreiembedding", parameters: "sha256:params" };
const SAMPLING = { maxTokens: 12, stop: " " };
const keyOf = (set: FederationManifestSet) => cacheKey({ generation: set.generation, parameters: set.parameters }, SAMPLING);
const record = (over: Partial<FederatedAnswerRecord> = {}): FederatedAnswerRecord => ({
  v: 1, key: keyOf(SET), prompt: "a question", text: "an answer", model: "demo", tokens: 2, manifests: SET, operator: account.address, auditSeq: 7, time: "2026-12-05T11:00:00.000Z", ...over,
});

describe("records and the codec", () => {
  test("a record's CID is what `ipfs add` gives its canonical bytes, and its signature recovers to its operator", async () => {
    const r = record();
    const { message, cid, bytes } = await signRecord(r, account);
    assert.equal(cid, await computeCid(bytes));
    assert.equal(await verifyRecord(r, message.signature), cid);
    // Any field changed: another CID, and the signature no longer matches it.
    assert.equal(await verifyRecord({ ...r, text: "another answer" }, message.signature), undefined);
    assert.equal(await verifyRecord({ ...r, auditSeq: 8 }, message.signature), undefined);
    assert.notEqual(await recordCid(recordBytes({ ...r, text: "x" })), cid);
  });

  test("decoding refuses oversized, malformed and off-schema messages, and takes a good one", async () => {
    const { message } = await signRecord(record(), account);
    const good = encodeMessage(message);
    assert.deepEqual(decodeMessage(good), { ok: true, message });
    const reason = (bytes: Uint8Array, max?: number) => {
      const d = decodeMessage(bytes, max);
      return d.ok ? "ok" : d.reason;
    };
    assert.equal(reason(good, good.byteLength - 1), "oversized");
    assert.equal(reason(new Uint8Array([0xff, 0xfe, 0x00])), "malformed");
    assert.equal(reason(new TextEncoder().encode("{")), "malformed");
    assert.equal(reason(new TextEncoder().encode(JSON.stringify({ ...message, extra: 1 }))), "schema");
    assert.equal(reason(new TextEncoder().encode(JSON.stringify({ ...message, signature: "0x1234" }))), "schema");
    assert.equal(reason(new TextEncoder().encode(JSON.stringify({ ...message, record: { ...message.record, tokens: -1 } }))), "schema");
  });
});

describe("bounds", () => {
  const answer = (prompt: string, bytes = 100): PeerAnswer => ({
    cid: prompt, operator: account.address, auditSeq: 1, signature: "0x", peerId: "p", time: "t", record: record({ prompt }), bytes,
  });

  test("the peer answer store keeps to its count and bytes, dropping the least recently used", () => {
    const store = createPeerAnswerStore({ maxEntries: 3, maxBytes: 1_000 });
    for (const p of ["a", "b", "c"]) store.put(answer(p));
    assert.ok(store.get(keyOf(SET), "a")); // a is now the most recent
    store.put(answer("d"));
    assert.equal(store.get(keyOf(SET), "b"), undefined);
    assert.deepEqual(["a", "c", "d"].map((p) => Boolean(store.get(keyOf(SET), p))), [true, true, true]);
    store.put(answer("big", 900));
    assert.ok(store.stats().bytes <= 1_000);
    assert.ok(store.get(keyOf(SET), "big"));
    store.put(answer("huge", 5_000)); // larger than the whole store: not kept
    assert.equal(store.get(keyOf(SET), "huge"), undefined);
    const held = store.stats().entries;
    assert.equal(store.purge(() => false), held);
    assert.equal(store.stats().entries, 0);
    assert.equal(store.stats().bytes, 0);
  });

  test("the rate limit lets a burst through, then perSecond, per peer", () => {
    const limit = createPeerRateLimit({ perSecond: 10, burst: 5 });
    const t = 1_000_000;
    assert.deepEqual(Array.from({ length: 7 }, () => limit.take("flooder", t)), [true, true, true, true, true, false, false]);
    assert.equal(limit.take("someone else", t), true);
    assert.equal(limit.take("flooder", t + 100), true); // 100 ms at 10/s: one more
    assert.equal(limit.take("flooder", t + 100), false);
  });
});

test("the libp2p key is kept in the node's home: the same peer id after a restart", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "ns-llm-peer-key-"));
  try {
    const first = await createFederationLibp2p({ listen: [], bootstrap: [], keyDir: dir });
    const id = first.peerId.toString();
    await first.stop();
    assert.equal((await stat(path.join(dir, "peer.key"))).mode & 0o777, 0o600);
    const again = await createFederationLibp2p({ listen: [], bootstrap: [], keyDir: dir });
    assert.equal(again.peerId.toString(), id);
    await again.stop();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

describe("two federations over libp2p on loopback", () => {
  const running: Federation[] = [];
  after(async () => {
    for (const f of running) await f.stop();
  });

  test("an announced answer is found by the peer; a change of the peer's manifests moves it to another topic and drops the old answers", async () => {
    let receiverSet = SET;
    const blocks: string[] = [];
    const publisher = await createFederation({ listen: ["/ip4/127.0.0.1/tcp/0"], bootstrap: [], account, manifests: () => SET, registry: new Registry(), putBlock: async (bytes) => (blocks.push(await computeCid(bytes)), blocks.at(-1)!) });
    running.push(publisher);
    const address = publisher.status().addresses.find((m) => m.includes("/p2p/"))!;
    const receiver = await createFederation({ listen: [], bootstrap: [address], manifests: () => receiverSet, registry: new Registry() });
    running.push(receiver);
    assert.equal(receiver.status().topic, federationTopic(SET));
    assert.equal(receiver.status().operator, null);
    await waitFor(() => publisher.status().topicPeers >= 1 && receiver.status().topicPeers >= 1);

    await publisher.announce({ key: keyOf(SET), prompt: "a question", text: "an answer", model: "demo", tokens: 2, auditSeq: 7, manifests: SET });
    const found = await waitFor(() => receiver.lookup(keyOf(SET), "a question"));
    assert.equal(found.record.text, "an answer");
    assert.equal(found.operator, account.address);
    assert.equal(found.auditSeq, 7);
    assert.equal(found.peerId, publisher.libp2p.peerId.toString());
    assert.deepEqual(blocks, [found.cid]); // the block the publisher kept is the one the receiver verified
    assert.equal(receiver.lookup(keyOf(SET), "another question"), null);

    // An answer made under a set the publisher no longer runs is not announced.
    await publisher.announce({ key: keyOf(SET), prompt: "old", text: "x", model: "demo", tokens: 1, auditSeq: 8, manifests: { ...SET, generation: "bafkreiold" } });
    assert.equal(blocks.length, 1);

    receiverSet = { ...SET, parameters: "sha256:voted-since" };
    assert.equal(receiver.lookup(keyOf(SET), "a question"), null);
    assert.equal(receiver.status().topic, federationTopic(receiverSet));
    assert.notEqual(federationTopic(receiverSet), federationTopic(SET));
    assert.equal(receiver.status().store.entries, 0);
    // A node without an operator key only listens.
    await receiver.announce({ key: keyOf(receiverSet), prompt: "q", text: "t", model: "demo", tokens: 1, auditSeq: 1, manifests: receiverSet });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(publisher.status().store.entries, 0);
  });
});

async function waitFor<T>(probe: () => T | null | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

