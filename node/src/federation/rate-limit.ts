/**
 * A token bucket per peer: `burst` messages at once, then `perSecond`. Gossip from one peer past
 * that is ignored (and counted) before it is parsed or verified, so a flood costs a map lookup per
 * message. The map of peers is bounded too: past `maxPeers`, the least recently seen are forgotten.
 */
export type PeerRateLimit = { take(peer: string, now?: number): boolean };

export function createPeerRateLimit({ perSecond = 20, burst = 100, maxPeers = 1024 } = {}): PeerRateLimit {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(peer, now = Date.now()) {
      let bucket = buckets.get(peer);
      if (bucket) {
        buckets.delete(peer);
        bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
        bucket.at = now;
      } else {
        bucket = { tokens: burst, at: now };
        for (const [oldest] of buckets) {
          if (buckets.size < maxPeers) break;
          buckets.delete(oldest);
        }
      }
      buckets.set(peer, bucket);
      if (bucket.tokens < 1) return false;
      bucket.tokens -= 1;
      return true;
    },
  };
}
