/**
 * The pure parts of the node pages against the node's real code: the Prometheus parser and the
 * dashboard's figures over text prom-client really writes (node/src/metrics.ts), and the
 * browser's Web Crypto Merkle check over trees the node's own merkle.ts builds, and the chat's SSE
 * client against a real node answering from its search fallback.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { buildMerkleTree, leafHash as nodeLeafHash } from "../../node/src/audit/merkle.ts";
import { startNode } from "../../node/src/app/index.ts";
import { loadConfig } from "../../node/src/config.ts";
import { createMetrics } from "../../node/src/metrics.ts";
import { chatLimits, DEFAULT_LIMITS } from "../lib/chat-limits.ts";
import { streamChat, type Provenance } from "../lib/chat-stream.ts";
import { leafHash, nodeHash, rootFromPath, sameBytes, toHex } from "../lib/merkle-webcrypto.ts";
import { NodeRequestError } from "../lib/node-http.ts";
import { cachePoint, nodeLoads } from "../lib/gateway-metrics.ts";
import { metricsPoint } from "../lib/node-metrics.ts";
import { bucketsOf, histogramQuantile, parsePrometheusText, sumOf } from "../lib/prometheus.ts";

test("parses what prom-client writes: counters by label, gauges, histogram buckets, escapes", async () => {
  const m = createMetrics({ defaultMetrics: false });
  m.requests.inc({ route: "/v1/chat/completions", method: "POST", status: "200" }, 3);
  m.requests.inc({ route: "/metrics", method: "GET", status: "200" }, 7);
  m.requests.inc({ route: 'we"ird\\route', method: "GET", status: "404" });
  m.queueDepth.set(4);
  for (const s of [0.004, 0.02, 0.02, 0.3, 0.3, 0.3, 3]) m.requestSeconds.observe({ route: "/v1/chat/completions", method: "POST" }, s);
  const scrape = parsePrometheusText(await m.registry.metrics(), 1000);

  assert.equal(sumOf(scrape, "ns_llm_http_requests_total"), 11);
  assert.equal(sumOf(scrape, "ns_llm_http_requests_total", { route: (r) => r !== "/metrics" }), 4);
  assert.equal(sumOf(scrape, "ns_llm_http_requests_total", { route: 'we"ird\\route' }), 1);
  assert.equal(sumOf(scrape, "ns_llm_generation_queue_depth"), 4);
  assert.equal(sumOf(scrape, "ns_llm_no_such_metric"), undefined);
  assert.equal(scrape.types.get("ns_llm_http_request_duration_seconds"), "histogram");

  const buckets = bucketsOf(scrape, "ns_llm_http_request_duration_seconds");
  assert.equal(buckets.get(Infinity), 7);
  assert.equal(buckets.get(0.005), 1);
  // Prometheus' histogram_quantile: rank 3.5 of 7 falls in (0.25, 0.5] holding ranks 4..6.
  const p50 = histogramQuantile(0.5, buckets)!;
  assert.ok(p50 > 0.25 && p50 <= 0.5, `p50 ${p50}`);
  assert.ok(Math.abs(p50 - (0.25 + (0.25 * (3.5 - 3)) / 3)) < 1e-9);
  assert.equal(histogramQuantile(0.99, buckets), 2.5 + (5 - 2.5) * ((6.93 - 6) / 1));
  assert.equal(histogramQuantile(0.5, new Map()), undefined);
});

test("a point between two scrapes: rates, interval percentiles, and the dashboard's own scrapes left out", async () => {
  const m = createMetrics({ defaultMetrics: false });
  const route = { route: "/v1/chat/completions", method: "POST" };
  const start = parsePrometheusText(await m.registry.metrics(), 0);
  m.requests.inc({ ...route, status: "200" }, 10);
  m.requestSeconds.observe(route, 50); // an old slow request: not in the next interval
  m.tokens.inc(100);
  const before = parsePrometheusText(await m.registry.metrics(), 10_000);
  m.requests.inc({ ...route, status: "200" }, 6);
  m.requests.inc({ route: "/metrics", method: "GET", status: "200" }, 50);
  for (let i = 0; i < 6; i++) m.requestSeconds.observe(route, 0.1);
  m.tokens.inc(60);
  m.fallbacks.inc({ reason: "no_model" }, 2);
  m.timeToFirstToken.observe(0.2);
  m.anchors.inc();
  const now = parsePrometheusText(await m.registry.metrics(), 13_000);

  const point = metricsPoint(now, before);
  assert.equal(point.requestsPerSecond, 2); // 6 in 3 s; the 50 scrapes do not count
  assert.equal(point.tokensPerSecond, 20);
  assert.ok(point.latencyP50! > 50 && point.latencyP50! <= 100, `p50 ${point.latencyP50} ms`);
  assert.ok(point.latencyP99! <= 100, "the old 50 s request is outside the interval");
  assert.ok(point.ttftP50! > 100 && point.ttftP50! <= 250);
  assert.equal(point.fallbacks, 2);
  assert.equal(point.anchorsTotal, 1);
  assert.equal(point.requestsTotal, 16);
  // Over a longer window the old slow request counts in the percentiles; the rates stay per interval.
  const windowed = metricsPoint(now, before, start);
  assert.ok(windowed.latencyP99! > 30_000, `p99 over the window ${windowed.latencyP99} ms`);
  assert.equal(windowed.requestsPerSecond, 2);
  // A labelled counter never incremented is declared, so it reads 0 rather than unknown.
  assert.equal(metricsPoint(before, start).fallbacks, 0);

  const first = metricsPoint(now, undefined);
  assert.equal(first.requestsPerSecond, null);
  assert.equal(first.latencyP50, null);
  assert.equal(first.queueDepth, 0);
});

test("the semantic-cache chart reads the gateway's counters; a NaN sample neither breaks the parse nor poisons a sum", () => {
  const text = (hits: number, misses: number) =>
    [
      "# HELP ns_llm_gateway_cache_hits_total Answers served from the semantic cache",
      "# TYPE ns_llm_gateway_cache_hits_total counter",
      `ns_llm_gateway_cache_hits_total ${hits}`,
      "# TYPE ns_llm_gateway_cache_misses_total counter",
      `ns_llm_gateway_cache_misses_total ${misses}`,
      "# TYPE ns_llm_gateway_lag_seconds gauge",
      'ns_llm_gateway_lag_seconds{q="0.5"} NaN',
      'ns_llm_gateway_lag_seconds{q="0.9"} 0.25',
      'ns_llm_gateway_lag_seconds{q="0.99"} nan',
      "",
    ].join("\n");
  const before = parsePrometheusText(text(2, 5), 0);
  const now = parsePrometheusText(text(5, 6), 3000);
  assert.equal(sumOf(now, "ns_llm_gateway_lag_seconds"), 0.25);
  assert.ok(Number.isNaN(now.samples.find((s) => s.labels.q === "0.5")!.value));
  const point = cachePoint(now, before);
  assert.deepEqual({ hits: point.hits, misses: point.misses, hitRate: point.hitRate, hitsTotal: point.hitsTotal }, { hits: 3, misses: 1, hitRate: 75, hitsTotal: 5 });
  // The first scrape has no interval; a gateway restart (counters back to 0) counts from 0.
  assert.equal(cachePoint(now, undefined).hits, null);
  assert.equal(cachePoint(parsePrometheusText(text(1, 0), 6000), now).hits, 1);
  // The node's own counters are not the cache's: a scrape without the gateway's names has no figures.
  assert.equal(cachePoint(parsePrometheusText("ns_llm_cache_hits_total 9\n", 9000), now).hits, null);
});

test("Web Crypto RFC 6962: the browser's leaf and path checks agree with the node's Merkle trees", async () => {
  for (let size = 1; size <= 13; size++) {
    const entries = Array.from({ length: size }, (_, i) => new TextEncoder().encode(`{"seq":${i},"type":"request"}`));
    const leaves = entries.map((e) => nodeLeafHash(e));
    const tree = buildMerkleTree(leaves);
    for (let index = 0; index < size; index++) {
      const leaf = await leafHash(entries[index]!);
      assert.equal(toHex(leaf), toHex(leaves[index]!));
      const path = tree.auditPath(index);
      const walked = await rootFromPath(leaf, index, size, path);
      assert.ok(walked.ok && sameBytes(walked.root, tree.root), `size ${size} index ${index}`);
      if (path.length > 0) {
        // One flipped bit anywhere in the path leads elsewhere.
        const forged = path.map((p) => new Uint8Array(p));
        forged[0]![0]! ^= 1;
        const bad = await rootFromPath(leaf, index, size, forged);
        assert.ok(!bad.ok || !sameBytes(bad.root, tree.root));
        // A path of the wrong length is refused outright.
        assert.equal((await rootFromPath(leaf, index, size, path.slice(1))).ok, false);
        assert.equal((await rootFromPath(leaf, index, size, [...path, path[0]!])).ok, false);
      }
    }
  }
  assert.equal((await rootFromPath(new Uint8Array(32), 3, 3, [])).ok, false);
  // The prefixes: a leaf hash never equals the hash of the same bytes as an inner node.
  const x = new Uint8Array(32);
  assert.notEqual(toHex(await leafHash(new Uint8Array(64))), toHex(await nodeHash(x, x)));
});

test("chat limits: the node's governed parameters when it gives them, else 0..2 and 1..512", () => {
  assert.deepEqual(chatLimits(undefined, { applied: {} }), DEFAULT_LIMITS);
  const fromParameters = chatLimits({ parameters: { temperature: 0.4, maxTokens: 200 } });
  assert.equal(fromParameters.source, "node");
  assert.deepEqual(fromParameters.temperature, { min: 0, max: 2, default: 0.4 });
  assert.deepEqual(fromParameters.maxTokens, { min: 1, max: 200, default: 128 });
  const fromLimits = chatLimits({ limits: { temperature: { min: 0, max: 1.5 }, maxTokens: [1, 64] } });
  assert.deepEqual(fromLimits.temperature, { min: 0, max: 1.5, default: 0.7 });
  assert.deepEqual(fromLimits.maxTokens, { min: 1, max: 64, default: 64 });
});

test("streamChat against a real node without a generation model: the answer comes from search, and says so", async (t) => {
  const home = await mkdtemp(path.join(tmpdir(), "ns-web-p2-search-"));
  const config = loadConfig({ NODE_ENV: "test", NS_LLM_HOME: home, NS_LLM_PORT: "0", NS_LLM_THREADS: "1" });
  const node = await startNode(config, { chain: false, logger: false, log: () => {} });
  t.after(async () => {
    await node.close();
    await rm(home, { recursive: true, force: true });
  });
  const tokens: string[] = [];
  let opened: Provenance | undefined;
  const result = await streamChat({
    nodeUrl: node.url,
    messages: [{ role: "user", content: "How does the node follow governance?" }],
    signal: AbortSignal.timeout(30_000),
    onOpen: (p) => (opened = p),
    onToken: (token) => tokens.push(token),
  });
  assert.equal(opened?.source, "search", "the x-ns-llm-source header");
  assert.equal(result.provenance.source, "search");
  assert.ok(result.provenance.reason, "the node says why it fell back");
  assert.ok(result.text.length > 0 && result.text === tokens.join(""));
  // A search answer is recorded like any other: its audit entry is its provenance.
  assert.equal(typeof result.provenance.auditSeq, "number", "the search answer's audit seq");
  const entry = node.audit.log.entries(result.provenance.auditSeq!, 1)[0]!.entry as { source?: string; route?: string };
  assert.deepEqual([entry.source, entry.route], ["search", "/v1/chat/completions"]);

  // A refused request is a clear error, not a hang.
  await assert.rejects(
    streamChat({ nodeUrl: node.url, messages: [], signal: AbortSignal.timeout(10_000) }),
    (error: Error) => error instanceof NodeRequestError && error.status === 400,
  );
  const dead = streamChat({ nodeUrl: "http://127.0.0.1:9", messages: [{ role: "user", content: "hi" }], signal: AbortSignal.timeout(10_000) });
  await assert.rejects(dead, (error: Error) => error instanceof NodeRequestError && error.kind === "unreachable" && /not reachable/.test(error.message));
});

test("the gateway's per-node load: one row per node, from its own labelled series", () => {
  const scrape = parsePrometheusText(
    [
      "# TYPE ns_llm_gateway_node_outstanding gauge",
      'ns_llm_gateway_node_outstanding{node="http://127.0.0.1:5001"} 2',
      'ns_llm_gateway_node_outstanding{node="http://127.0.0.1:5002"} 0',
      "# TYPE ns_llm_gateway_node_capacity gauge",
      'ns_llm_gateway_node_capacity{node="http://127.0.0.1:5001"} 4',
      'ns_llm_gateway_node_capacity{node="http://127.0.0.1:5002"} 2',
      "# TYPE ns_llm_gateway_node_in_sync gauge",
      'ns_llm_gateway_node_in_sync{node="http://127.0.0.1:5001"} 1',
      'ns_llm_gateway_node_in_sync{node="http://127.0.0.1:5002"} 0',
      "# TYPE ns_llm_gateway_node_served_total counter",
      'ns_llm_gateway_node_served_total{node="http://127.0.0.1:5001"} 31',
      'ns_llm_gateway_node_served_total{node="http://127.0.0.1:5002"} 7',
      "# TYPE ns_llm_gateway_node_errors_total counter",
      'ns_llm_gateway_node_errors_total{node="http://127.0.0.1:5002"} 3',
      "# TYPE ns_llm_gateway_cache_hits_total counter",
      "ns_llm_gateway_cache_hits_total 5",
      "",
    ].join("\n"),
  );
  assert.deepEqual(nodeLoads(scrape), [
    { node: "http://127.0.0.1:5001", outstanding: 2, capacity: 4, inSync: true, served: 31, errors: null },
    { node: "http://127.0.0.1:5002", outstanding: 0, capacity: 2, inSync: false, served: 7, errors: 3 },
  ]);
  // A gateway without the per-node series (an older one): no rows.
  assert.deepEqual(nodeLoads(parsePrometheusText("ns_llm_gateway_cache_hits_total 5\n")), []);
});
