/**
 * The federation's libp2p node: TCP, Noise, Yamux, identify and gossipsub, and nothing else (no
 * DHT, no relays, no public bootstrap list): the embedded Helia node stays offline, and this one
 * dials only the peers the operator lists (NS_LLM_FEDERATION_BOOTSTRAP), listening where told
 * (NS_LLM_FEDERATION_LISTEN). Its key is kept in `<home>/federation/peer.key`, so the node keeps
 * its peer id across restarts and peers' bootstrap lists stay valid.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { GossipSub } from "@libp2p/gossipsub";
import type { Libp2p, PrivateKey } from "@libp2p/interface";

export type FederationLibp2p = Libp2p<{ pubsub: GossipSub }>;

export type CreateFederationLibp2pParameters = {
  /** Multiaddrs to listen on (`/ip4/127.0.0.1/tcp/0`); none: the node only dials out. */
  listen: string[];
  /** Multiaddrs with /p2p/<peer id> of the peers to dial at start. */
  bootstrap: string[];
  /** The folder of peer.key; absent: a fresh key each start (tests, benchmarks). */
  keyDir?: string;
  /** The transport's bound of one gossip RPC; the federation's own, lower bound is checked per message. */
  maxInboundDataLength?: number;
};

export async function createFederationLibp2p(p: CreateFederationLibp2pParameters): Promise<FederationLibp2p> {
  // Loaded here, not at import: libp2p's modules cost CPU that a node without federation skips.
  const [{ createLibp2p }, { tcp }, { noise }, { yamux }, { identify }, { gossipsub }, { bootstrap }] = await Promise.all([
    import("libp2p"),
    import("@libp2p/tcp"),
    import("@libp2p/noise"),
    import("@libp2p/yamux"),
    import("@libp2p/identify"),
    import("@libp2p/gossipsub"),
    import("@libp2p/bootstrap"),
  ]);
  const privateKey = p.keyDir ? await peerKey(p.keyDir) : undefined;
  return createLibp2p({
    ...(privateKey ? { privateKey } : {}),
    addresses: { listen: p.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    ...(p.bootstrap.length ? { peerDiscovery: [bootstrap({ list: p.bootstrap, timeout: 0 })] } : {}),
    services: {
      identify: identify(),
      pubsub: gossipsub({
        // Publishing before any peer subscribed is normal (the first node of a network).
        allowPublishToZeroTopicPeers: true,
        // Messages are forwarded only once the federation's validator accepted them.
        asyncValidation: false,
        maxInboundDataLength: p.maxInboundDataLength ?? 1024 * 1024,
        emitSelf: false,
      }),
    },
  }) as Promise<FederationLibp2p>;
}

/** The node's libp2p key: read from `dir/peer.key`, or made and written there (0600) the first time. */
async function peerKey(dir: string): Promise<PrivateKey> {
  const { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } = await import("@libp2p/crypto/keys");
  const file = path.join(dir, "peer.key");
  try {
    return privateKeyFromProtobuf(await fs.readFile(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const key = await generateKeyPair("Ed25519");
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(file, privateKeyToProtobuf(key), { mode: 0o600 });
  return key;
}
