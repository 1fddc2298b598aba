/**
 * The federated cache: this node's answers announced on the gossip topic of its manifest set, and
 * peers' answers received there, checked, and kept for a gateway's local miss.
 *
 * Receiving never trusts a peer: per message, in order of cost, the peer's rate (token bucket),
 * the size, the JSON schema, the manifest set (it must be this node's, now: a peer out of sync is
 * ignored), the key (it must name that same set), then the CID and the operator's signature over
 * it (and, when the chain admits operators, that the operator anchors audit batches). Only then is the answer stored and forwarded (gossipsub forwards what the validator
 * accepts). Every refusal is counted by reason on /metrics; nothing a peer sends can throw here.
 */
import type { FederatedAnswerRecord, FederatedLookupResponse, FederationManifestSet, FederationStatus } from "@ns-llm/contracts";
import type { Registry } from "prom-client";
import type { LocalAccount } from "viem";
import { keyMatches } from "../gateway/cache-key.ts";
import { decodeMessage, DEFAULT_MAX_MESSAGE_BYTES, encodeMessage } from "./codec.ts";
import { createFederationLibp2p, type FederationLibp2p } from "./libp2p-node.ts";
import { createFederationMetrics } from "./metrics.ts";
import { createPeerRateLimit } from "./rate-limit.ts";
import { signRecord, verifyRecord } from "./record.ts";
import { createPeerAnswerStore } from "./store.ts";
import { federationTopic, sameManifests } from "./topic.ts";

export type FederationLimits = {
  /** Largest gossip message taken (record + signature). Default 64 KiB. */
  maxMessageBytes: number;
  /** Peer answers held, by count and bytes. Defaults 10,000 and 32 MiB. */
  maxEntries: number;
  maxBytes: number;
  /** Messages per second per peer, and the burst above it. Defaults 20 and 100. */
  perSecond: number;
  burst: number;
};

export type CreateFederationParameters = {
  listen: string[];
  bootstrap: string[];
  /** Where the libp2p key is kept; absent: a fresh one each start. */
  keyDir?: string;
  /** Signs announcements; absent: the node only listens. */
  account?: LocalAccount | undefined;
  /** The manifest set the node serves with now. */
  manifests: () => FederationManifestSet;
  registry: Registry;
  limits?: Partial<FederationLimits>;
  /** The chain's admission: only answers of operators it accepts (anchored-operators.ts) are taken; absent: any signed answer. */
  acceptOperator?: (operator: `0x${string}`) => Promise<boolean>;
  /** Keeps each announced block in the node's IPFS repo (its CID is the record's). */
  putBlock?: (bytes: Uint8Array) => Promise<string>;
  log?: (line: string) => void;
};

/** What the node answered, for announcing. */
export type LocalAnswer = { key: string; prompt: string; text: string; model: string; tokens: number; auditSeq: number | null; manifests: FederationManifestSet };

export type Federation = {
  status(): FederationStatus;
  /** Signs and publishes an answer (no-op without an operator key, or when `manifests` is not the node's set now). */
  announce(answer: LocalAnswer): Promise<void>;
  lookup(key: string, prompt: string): FederatedLookupResponse["answer"];
  /** The node, for tests and benchmarks. */
  libp2p: FederationLibp2p;
  stop(): Promise<void>;
};

export type RefusalReason = "oversized" | "malformed" | "schema" | "out_of_sync" | "key_mismatch" | "bad_signature" | "unknown_operator" | "rate_limited" | "error";

export async function createFederation(p: CreateFederationParameters): Promise<Federation> {
  const log = p.log ?? (() => {});
  const limits: FederationLimits = { maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES, maxEntries: 10_000, maxBytes: 32 * 1024 * 1024, perSecond: 20, burst: 100, ...p.limits };
  const store = createPeerAnswerStore({ maxEntries: limits.maxEntries, maxBytes: limits.maxBytes });
  const rate = createPeerRateLimit({ perSecond: limits.perSecond, burst: limits.burst });
  // The transport's bound sits above ours, so an oversized message still reaches the validator and is counted.
  const node = await createFederationLibp2p({ listen: p.listen, bootstrap: p.bootstrap, ...(p.keyDir ? { keyDir: p.keyDir } : {}), maxInboundDataLength: Math.max(1024 * 1024, limits.maxMessageBytes * 4) });
  const pubsub = node.services.pubsub;
  let current: { set: FederationManifestSet; topic: string } | undefined;

  const metrics = createFederationMetrics(p.registry, () => ({
    peers: node.getPeers().length,
    topicPeers: current ? pubsub.getSubscribers(current.topic).length : 0,
    ...store.stats(),
  }));
  const refuse = (reason: RefusalReason, peer: string, detail?: string) => {
    metrics.messages.inc({ result: "refused", reason });
    if (reason !== "rate_limited") log(`federation: refused a message from ${peer}: ${reason}${detail ? ` (${detail})` : ""}`);
  };

  const validate = async (peer: string, from: string, data: Uint8Array): Promise<"accept" | "ignore" | "reject"> => {
    // A flood is cut before any parsing: one map lookup per message.
    if (!rate.take(peer)) return refuse("rate_limited", peer), "ignore";
    metrics.messageBytes.observe(data.byteLength);
    const decoded = decodeMessage(data, limits.maxMessageBytes);
    if (!decoded.ok) return refuse(decoded.reason, peer, decoded.detail), "reject";
    const { record, signature } = decoded.message;
    const own = current?.set;
    // A peer on other adoptions (behind or ahead of the chain): its answers are not ours to serve.
    if (!own || !sameManifests(record.manifests, own)) return refuse("out_of_sync", peer), "ignore";
    if (!keyMatches(record.key, { generation: own.generation, parameters: own.parameters })) return refuse("key_mismatch", peer), "reject";
    const started = performance.now();
    const cid = await verifyRecord(record, signature);
    metrics.verifySeconds.observe((performance.now() - started) / 1000);
    if (!cid) return refuse("bad_signature", peer), "reject";
    // Asked only of a signature that checks out: a forger cannot make the node query the chain.
    if (p.acceptOperator && !(await p.acceptOperator(record.operator))) return refuse("unknown_operator", peer, record.operator), "ignore";
    store.put({ cid, operator: record.operator, auditSeq: record.auditSeq, signature, peerId: from, time: record.time, record, bytes: data.byteLength });
    metrics.messages.inc({ result: "accepted", reason: "" });
    return "accept";
  };

  /** Follows the node's manifest set: a change moves the node to the new set's topic and drops the answers of the old one. */
  const sync = () => {
    const set = p.manifests();
    if (current && sameManifests(current.set, set)) return current;
    const topic = federationTopic(set);
    if (current) {
      pubsub.unsubscribe(current.topic);
      pubsub.topicValidators.delete(current.topic);
      const gone = store.purge((a) => sameManifests(a.record.manifests, set));
      log(`federation: manifests changed, now on ${topic}${gone ? ` (${gone} peer answers dropped)` : ""}`);
    }
    pubsub.topicValidators.set(topic, async (peer, message) => {
      const from = message.type === "signed" ? message.from.toString() : peer.toString();
      try {
        return (await validate(peer.toString(), from, message.data)) as never;
      } catch (error) {
        refuse("error", peer.toString(), (error as Error).message);
        return "ignore" as never;
      }
    });
    pubsub.subscribe(topic);
    current = { set, topic };
    return current;
  };
  sync();
  const syncTimer = setInterval(sync, 2_000);
  syncTimer.unref();

  // Bootstrap peers that were down at start (or went away) are dialed again.
  const { multiaddr } = await import("@multiformats/multiaddr");
  const redial = async () => {
    const connected = new Set(node.getPeers().map((id) => id.toString()));
    for (const address of p.bootstrap) {
      const peer = address.split("/p2p/")[1];
      if (peer && connected.has(peer)) continue;
      await node.dial(multiaddr(address), { signal: AbortSignal.timeout(5_000) }).catch(() => {});
    }
  };
  const dialTimer = p.bootstrap.length ? setInterval(() => void redial(), 5_000) : undefined;
  dialTimer?.unref();

  return {
    libp2p: node,
    status() {
      const { set, topic } = sync();
      return {
        enabled: true,
        reason: null,
        peerId: node.peerId.toString(),
        addresses: node.getMultiaddrs().map((m) => m.toString()),
        topic,
        manifests: set,
        operator: p.account?.address ?? null,
        peers: node.getPeers().length,
        topicPeers: pubsub.getSubscribers(topic).length,
        store: store.stats(),
      };
    },
    async announce(answer) {
      if (!p.account) return;
      const { set, topic } = sync();
      // An answer of a model or parameters swapped out meanwhile names another set: not announced.
      if (!sameManifests(answer.manifests, set)) return;
      const record: FederatedAnswerRecord = {
        v: 1,
        key: answer.key,
        prompt: answer.prompt,
        text: answer.text,
        model: answer.model,
        tokens: answer.tokens,
        manifests: set,
        operator: p.account.address,
        auditSeq: answer.auditSeq,
        time: new Date().toISOString(),
      };
      const { message, bytes } = await signRecord(record, p.account);
      const data = encodeMessage(message);
      if (data.byteLength > limits.maxMessageBytes) return; // peers would refuse it
      await p.putBlock?.(bytes).catch((error: unknown) => log(`federation: block not kept: ${(error as Error).message}`));
      await pubsub.publish(topic, data);
      metrics.announced.inc();
    },
    lookup(key, prompt) {
      const { set } = sync();
      const found = store.get(key, prompt);
      if (!found || !sameManifests(found.record.manifests, set)) {
        metrics.lookups.inc({ result: "miss" });
        return null;
      }
      metrics.lookups.inc({ result: "hit" });
      const { record } = found;
      return {
        record,
        cid: found.cid,
        operator: found.operator,
        auditSeq: found.auditSeq,
        signature: found.signature,
        peerId: found.peerId,
        time: found.time,
      };
    },
    async stop() {
      clearInterval(syncTimer);
      clearInterval(dialTimer);
      await node.stop();
    },
  };
}
