/**
 * The federation's figures on the node's /metrics: every gossip message received, accepted or
 * refused by reason (oversized, malformed, schema, out_of_sync, key_mismatch, bad_signature, unknown_operator,
 * rate_limited, error); answers announced; lookups that found a peer's answer or not; message
 * sizes and signature checks' cost; and, read at each scrape, peers and the peer answer store.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export type FederationMetrics = ReturnType<typeof createFederationMetrics>;

export type FederationGauges = () => { peers: number; topicPeers: number; entries: number; bytes: number };

export function createFederationMetrics(registry: Registry, read: FederationGauges) {
  const registers = [registry];
  const gauge = (name: string, help: string, pick: (g: ReturnType<FederationGauges>) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(pick(read()));
      },
    });
  gauge("ns_llm_federation_peers", "libp2p peers connected", (g) => g.peers);
  gauge("ns_llm_federation_topic_peers", "Peers subscribed to the gossip topic of this node's manifest set", (g) => g.topicPeers);
  gauge("ns_llm_federation_store_entries", "Verified peer answers held", (g) => g.entries);
  gauge("ns_llm_federation_store_bytes", "Bytes of the verified peer answers held", (g) => g.bytes);
  return {
    messages: new Counter({
      name: "ns_llm_federation_messages_total",
      help: "Gossip messages received: accepted, or refused by reason",
      labelNames: ["result", "reason"] as const,
      registers,
    }),
    announced: new Counter({ name: "ns_llm_federation_announced_total", help: "Answers of this node announced on the gossip topic", registers }),
    lookups: new Counter({ name: "ns_llm_federation_lookups_total", help: "Lookups of a peer answer (a gateway's local miss), by result", labelNames: ["result"] as const, registers }),
    messageBytes: new Histogram({
      name: "ns_llm_federation_message_bytes",
      help: "Sizes of gossip messages received",
      buckets: [256, 512, 1024, 2048, 4096, 8192, 16384, 65536, 262144, 1048576],
      registers,
    }),
    verifySeconds: new Histogram({
      name: "ns_llm_federation_verify_seconds",
      help: "Time to check one message's CID and operator signature",
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05],
      registers,
    }),
  };
}
