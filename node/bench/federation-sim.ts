/**
 * A SIMULATION (a discrete-event model, not a measurement) of the network at 1,000 nodes: what
 * gossip of cached answers costs each node, how the cache hit rate grows with the network, how
 * long an adoption takes to reach every node, and how load-aware routing compares with random
 * routing. Nothing here runs libp2p or a node; the parameters are stated and can be changed.
 *
 *   node bench/federation-sim.ts [--nodes 1000] [--seed 1]
 *
 * Gossip: gossipsub v1.1 defaults (mesh degree D=6, D_lo=4, D_hi=12, D_lazy=6, heartbeat 1 s,
 * history_gossip 3), one topic per governed manifest set; every answer a node computes itself (a
 * miss) is announced once (CID, cache key, operator, audit seq, signature: ~300 bytes). Each mesh
 * link has a one-way latency drawn once, uniform 10-100 ms; 1% of transmissions are lost and
 * repaired by IHAVE/IWANT at the holder's next heartbeat.
 * Requests: each node receives 1 request/s; prompts drawn from a Zipf(s=0.9) law over 1,000,000
 * distinct prompts; a node's own cache keeps its last 10,000 answers (LRU); a peer answer is usable
 * once its announcement reached the node and if the peer is in sync (98% of nodes).
 * Adoptions: blocks every 2 s, 2 confirmations (the follower's default off the dev chain), an event
 * poll every 500 ms (the follower's), 4 reads of 20-200 ms each to the node's RPC.
 * Routing: arrivals at 90% of the network's capacity (nodes of 1, 2 or 4 slots), exponential
 * service of mean 1 s; random by capacity vs power of two choices weighted by capacity.
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { nodes: { type: "string", default: "1000" }, seed: { type: "string", default: "1" } } });
const N = Number(values.nodes);

// --- a seeded random source (mulberry32): the same figures every run for a seed ---
let state = Number(values.seed) >>> 0;
function random(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const uniform = (a: number, b: number) => a + (b - a) * random();
const exponential = (mean: number) => -Math.log(1 - random()) * mean;
const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
const quantile = (xs: number[], q: number) => {
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

/** A binary min-heap of timed events: the simulation's clock. */
class EventQueue<T> {
  #heap: Array<{ t: number; v: T }> = [];
  get size() {
    return this.#heap.length;
  }
  push(t: number, v: T) {
    const h = this.#heap;
    h.push({ t, v });
    for (let i = h.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (h[p]!.t <= h[i]!.t) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }
  pop(): { t: number; v: T } | undefined {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (h.length && last) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]!.t < h[m]!.t) m = l;
        if (r < h.length && h[r]!.t < h[m]!.t) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
}

// --- gossipsub parameters ---
const D = 6;
const D_HI = 12;
const D_LAZY = 6;
const HEARTBEAT = 1.0;
const HISTORY_GOSSIP = 3;
const LOSS = 0.01;
const ANNOUNCEMENT_BYTES = 300;
/** A gossipsub message id (from + seqno, or a content hash). */
const MESSAGE_ID_BYTES = 40;

/** A mesh where every node has at least D peers (at most D_HI), links with fixed latencies. */
function buildMesh(n: number) {
  const peers: Array<Map<number, number>> = Array.from({ length: n }, () => new Map());
  for (let i = 0; i < n; i++) {
    let tries = 0;
    while (peers[i]!.size < Math.min(D, n - 1) && tries++ < 1000) {
      const j = Math.floor(random() * n);
      if (j === i || peers[i]!.has(j) || peers[j]!.size >= D_HI) continue;
      const latency = uniform(0.01, 0.1);
      peers[i]!.set(j, latency);
      peers[j]!.set(i, latency);
    }
  }
  return peers;
}

/**
 * One announcement from `origin` through the mesh: eager push to mesh peers, loss, and lazy
 * repair (IHAVE to D_LAZY random peers at each holder's heartbeats while it is in its history).
 * Returns when each node first had it, and how many copies were sent.
 */
function propagate(mesh: Array<Map<number, number>>, origin: number) {
  const n = mesh.length;
  const got = new Float64Array(n).fill(Infinity);
  const phase = Float64Array.from({ length: n }, () => random() * HEARTBEAT); // heartbeats are not aligned
  const queue = new EventQueue<{ to: number; from: number; kind: "data" | "heartbeat" }>();
  let copies = 0;
  let control = 0;
  queue.push(0, { to: origin, from: -1, kind: "data" });
  for (let e = queue.pop(); e; e = queue.pop()) {
    const { to, from, kind } = e.v;
    if (kind === "heartbeat") {
      // IHAVE to D_LAZY random non-mesh peers; one lacking it asks (IWANT) and gets it a round trip later.
      if (e.t - got[to]! > HISTORY_GOSSIP * HEARTBEAT) continue;
      for (let k = 0; k < D_LAZY; k++) {
        const p = Math.floor(random() * n);
        if (p === to || mesh[to]!.has(p)) continue;
        control += 1;
        if (got[p] === Infinity) {
          control += 1;
          copies += 1;
          queue.push(e.t + 3 * uniform(0.01, 0.1), { to: p, from: to, kind: "data" });
        }
      }
      queue.push(e.t + HEARTBEAT, { to, from, kind: "heartbeat" });
      continue;
    }
    if (got[to] !== Infinity) continue; // a duplicate: dropped (seen cache)
    got[to] = e.t;
    const first = e.t + ((phase[to]! - (e.t % HEARTBEAT) + HEARTBEAT) % HEARTBEAT);
    queue.push(first, { to, from, kind: "heartbeat" });
    for (const [p, latency] of mesh[to]!) {
      if (p === from) continue;
      copies += 1;
      if (random() < LOSS) continue;
      queue.push(e.t + latency + 0.001, { to: p, from: to, kind: "data" });
    }
  }
  return { got, copies, control };
}

// --- 1. gossip: delivery time and copies per announcement at N nodes ---
const mesh = buildMesh(N);
const delays: number[] = [];
let copiesTotal = 0;
let controlTotal = 0;
const SAMPLES = 40;
let unreached = 0;
for (let s = 0; s < SAMPLES; s++) {
  const { got, copies, control } = propagate(mesh, Math.floor(random() * N));
  copiesTotal += copies;
  controlTotal += control;
  for (const t of got) (t === Infinity ? unreached++ : delays.push(t));
}
const copiesPerAnnouncement = copiesTotal / SAMPLES;
const controlPerAnnouncement = controlTotal / SAMPLES;

console.log(`federation simulation (a discrete-event model, not a measurement): ${N} nodes, seed ${values.seed}`);
console.log(`\n1. gossip of one announcement (gossipsub D=${D}, D_hi=${D_HI}, D_lazy=${D_LAZY}, heartbeat ${HEARTBEAT} s, links 10-100 ms, ${LOSS * 100}% loss), ${SAMPLES} announcements`);
console.log(`   reaches every node: p50 ${(quantile(delays, 0.5) * 1000).toFixed(0)} ms, p99 ${(quantile(delays, 0.99) * 1000).toFixed(0)} ms, max ${(Math.max(...delays) * 1000).toFixed(0)} ms; nodes never reached: ${unreached}`);
console.log(`   copies sent per announcement: ${copiesPerAnnouncement.toFixed(0)} (${(copiesPerAnnouncement / N).toFixed(2)} per node: ${((copiesPerAnnouncement - N) / N).toFixed(2)} duplicates); IHAVE ids offered: ${(controlPerAnnouncement / N).toFixed(1)} per node`);

// --- 2. cache hit rate vs network size (and what the announcements cost each node) ---
const UNIVERSE = 1_000_000;
const ZIPF_S = 0.9;
const LOCAL_CAPACITY = 10_000;
const IN_SYNC = 0.98;
const REQUESTS_PER_NODE_PER_S = 1;
const zipfCdf = (() => {
  const cdf = new Float64Array(UNIVERSE);
  let sum = 0;
  for (let k = 0; k < UNIVERSE; k++) cdf[k] = sum += 1 / (k + 1) ** ZIPF_S;
  for (let k = 0; k < UNIVERSE; k++) cdf[k]! /= sum;
  return cdf;
})();
function zipf(): number {
  const u = random();
  let lo = 0;
  let hi = UNIVERSE - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (zipfCdf[mid]! < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One network size: every node's requests over `seconds`; local hits, peer hits, misses (announced). */
function cacheRun(n: number, seconds: number) {
  const requests = n * REQUESTS_PER_NODE_PER_S * seconds;
  const local = Array.from({ length: n }, () => new Map<number, true>()); // insertion order = LRU order
  /** Prompt -> when its first answer was computed, and whether its node was in sync. */
  const network = new Map<number, { t: number; inSync: boolean }>();
  const inSync = Array.from({ length: n }, () => random() < IN_SYNC);
  let localHits = 0;
  let peerHits = 0;
  let misses = 0;
  for (let i = 0; i < requests; i++) {
    const t = (i / requests) * seconds;
    const node = Math.floor(random() * n);
    const prompt = zipf();
    const cache = local[node]!;
    if (cache.has(prompt)) {
      cache.delete(prompt);
      cache.set(prompt, true);
      localHits += 1;
      continue;
    }
    const known = network.get(prompt);
    // Reached this node? A delivery delay drawn from the gossip run above.
    if (n > 1 && known && known.inSync && inSync[node] && known.t + pick(delays) <= t) peerHits += 1;
    else {
      misses += 1;
      if (!known) network.set(prompt, { t, inSync: inSync[node]! });
    }
    cache.set(prompt, true);
    if (cache.size > LOCAL_CAPACITY) cache.delete(cache.keys().next().value!);
  }
  return { requests, localHits, peerHits, misses };
}

const SECONDS = 600;
console.log(`\n2. cache hit rate vs network size (${REQUESTS_PER_NODE_PER_S} request/s per node for ${SECONDS} s, Zipf s=${ZIPF_S} over ${UNIVERSE / 1e6}M prompts, ${LOCAL_CAPACITY} local entries, ${IN_SYNC * 100}% of nodes in sync)`);
console.log("   nodes  local hits  + peer hits  = total   announced/s (network)  messages/s per node  KB/s per node (in)");
for (const n of [1, 10, 100, N]) {
  const r = cacheRun(n, SECONDS);
  const pct = (x: number) => `${((x / r.requests) * 100).toFixed(1)}%`;
  // Each miss is computed and announced once; each announcement costs copiesPerAnnouncement/N
  // copies per node. IHAVE is one control message per lazy peer per heartbeat, whatever the count
  // of ids it carries (the ids of the last 3 heartbeats, at most 5000: gossipsub maxIHaveLength).
  const announcedPerS = r.misses / SECONDS;
  const data = n > 1 ? (announcedPerS * copiesPerAnnouncement) / N : 0;
  const ihave = n > 1 ? D_LAZY / HEARTBEAT : 0;
  const perNode = data + ihave;
  const ids = Math.min(5000, announcedPerS * HISTORY_GOSSIP);
  const bytes = data * ANNOUNCEMENT_BYTES + ihave * ids * MESSAGE_ID_BYTES;
  console.log(
    `   ${String(n).padStart(5)}  ${pct(r.localHits).padStart(10)}  ${pct(r.peerHits).padStart(11)}  ${pct(r.localHits + r.peerHits).padStart(7)}  ${announcedPerS.toFixed(0).padStart(21)}  ${perNode.toFixed(0).padStart(19)}  ${(bytes / 1024).toFixed(0).padStart(13)}`,
  );
}

// --- 3. an adoption reaching every node (through the chain; a gossip notice as the alternative) ---
const BLOCK = 2;
const CONFIRMATIONS = 2;
const POLL = 0.5;
const adoptionTimes: number[] = [];
const gossipTimes: number[] = [];
const included = uniform(0, BLOCK); // the execute transaction waits for the next block
const confirmed = included + CONFIRMATIONS * BLOCK;
const { got: notice } = propagate(mesh, 0);
let firstSeen = Infinity;
const seen: number[] = [];
for (let i = 0; i < N; i++) {
  // The next poll after the confirmation, then the reads of one sync (block number, logs, 4 x current).
  const poll = confirmed + ((random() * POLL) % POLL);
  let t = poll;
  for (let k = 0; k < 4; k++) t += uniform(0.02, 0.2);
  seen.push(t);
  firstSeen = Math.min(firstSeen, t);
}
for (let i = 0; i < N; i++) {
  adoptionTimes.push(seen[i]!);
  // With a notice gossiped by the first node that saw it: a node wakes its follower at the notice
  // (its own reads still follow: it never takes a peer's word for an adoption).
  const woken = firstSeen + notice[i]!;
  let t = Math.min(seen[i]!, woken === Infinity ? Infinity : woken);
  if (t < seen[i]!) for (let k = 0; k < 4; k++) t += uniform(0.02, 0.2);
  gossipTimes.push(Math.min(t, seen[i]!));
}
console.log(`\n3. an adoption reaching every node (blocks ${BLOCK} s, ${CONFIRMATIONS} confirmations, event poll ${POLL * 1000} ms, 4 RPC reads 20-200 ms; model download and load not included)`);
console.log(`   from the execute transaction: first node ${firstSeen.toFixed(2)} s, p50 ${quantile(adoptionTimes, 0.5).toFixed(2)} s, every node ${Math.max(...adoptionTimes).toFixed(2)} s`);
console.log(`   with a gossip notice waking followers: every node ${Math.max(...gossipTimes).toFixed(2)} s (confirmations dominate: the notice saves little)`);
console.log(`   a gateway reading the chain every 5 s routes to the old set for up to 5 s more; nodes still loading are drained (swapping)`);

// --- 4. routing at N nodes: random by capacity vs power of two choices weighted by capacity ---
function routeRun(policy: "random" | "p2c", seconds: number) {
  const capacity = Array.from({ length: N }, () => pick([1, 2, 4]));
  const total = capacity.reduce((s, c) => s + c, 0);
  const busy = new Int32Array(N);
  const waiting: number[][] = Array.from({ length: N }, () => []);
  const waits: number[] = [];
  const queue = new EventQueue<{ kind: "arrival" } | { kind: "done"; node: number }>();
  const rate = 0.9 * total; // arrivals per second (service mean 1 s)
  const cumulative = (() => {
    let s = 0;
    return capacity.map((c) => (s += c / total));
  })();
  const outstanding = (i: number) => busy[i]! + waiting[i]!.length;
  queue.push(exponential(1 / rate), { kind: "arrival" });
  for (let e = queue.pop(); e && e.t < seconds; e = queue.pop()) {
    if (e.v.kind === "arrival") {
      queue.push(e.t + exponential(1 / rate), { kind: "arrival" });
      let node: number;
      if (policy === "random") {
        const u = random();
        let lo = 0;
        let hi = N - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cumulative[mid]! < u) lo = mid + 1;
          else hi = mid;
        }
        node = lo;
      } else {
        const a = Math.floor(random() * N);
        const b = Math.floor(random() * N);
        node = (outstanding(b) + 1) / capacity[b]! < (outstanding(a) + 1) / capacity[a]! ? b : a;
      }
      if (busy[node]! < capacity[node]!) {
        busy[node]! += 1;
        waits.push(0);
        queue.push(e.t + exponential(1), { kind: "done", node });
      } else waiting[node]!.push(e.t);
    } else {
      const node = e.v.node;
      const next = waiting[node]!.shift();
      if (next === undefined) busy[node]! -= 1;
      else {
        waits.push(e.t - next);
        queue.push(e.t + exponential(1), { kind: "done", node });
      }
    }
  }
  return { mean: waits.reduce((s, w) => s + w, 0) / waits.length, p99: quantile(waits, 0.99), n: waits.length };
}
console.log(`\n4. routing ${N} nodes of 1, 2 or 4 slots at 90% load (service mean 1 s), 300 s`);
for (const policy of ["random", "p2c"] as const) {
  const r = routeRun(policy, 300);
  console.log(`   ${policy === "random" ? "random, weighted by capacity   " : "power of two choices, weighted "}: queue wait mean ${(r.mean * 1000).toFixed(0)} ms, p99 ${(r.p99 * 1000).toFixed(0)} ms (${r.n} requests)`);
}
