/**
 * The NS Node gateway over HTTP in front of a real node process (`ns-llm serve --demo --no-chain`):
 * the semantic cache (a miss, then a hit for a near-identical prompt, with hits, misses and time
 * saved in /metrics), documents added with the real `ns-llm gateway add` command and found by
 * /search (BM25, and hybrid while the node is up, with a configurable lexical weight), and the
 * degradation chain around the node killed and restarted: search answers with a reason and exact
 * cache hits while it is down, answers from the node again once it is back.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { DatabaseSync } from "node:sqlite";
import { openDatabase } from "../src/db/index.ts";
import { createGateway, openDocumentStore, openSemanticCache, type Gateway } from "../src/gateway/index.ts";
import { metricValue, readSse } from "./helpers/api-node.ts";
import { spawnNode, type NodeProcess } from "./helpers/node-process.ts";

const BIN = path.resolve(import.meta.dirname, "../bin/ns-llm.js");
/**
 * The cache threshold of these tests, set explicitly: the demo embedding model has random
 * weights, so unrelated prompts are closer than with a real model (~0.9); near-identical ones
 * are above 0.99. The test measures both before relying on them.
 */
const SIMILARITY = 0.99;
const HALF_OPEN_AFTER_MS = 600;

let node: NodeProcess;
let home: string;
let gateway: Gateway;
let url: string;

before(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), "ns-llm-gateway-"));
  node = await spawnNode();
  gateway = await createGateway({
    nodeUrls: [node.url],
    home: path.join(home, "gateway"),
    cacheSimilarity: SIMILARITY,
    lexicalWeight: 0.5,
    client: {
      timeoutMs: 5_000,
      retry: { attempts: 1, initialDelayMs: 20, maxDelayMs: 50 },
      breaker: { failureThreshold: 2, halfOpenAfterMs: HALF_OPEN_AFTER_MS },
      healthCheckMs: 200,
    },
  });
  url = await gateway.app.listen({ host: "127.0.0.1", port: 0 });
});
after(async () => {
  await gateway?.close();
  await node?.stop();
  await rm(home, { recursive: true, force: true });
});

async function post(route: string, body: unknown) {
  const response = await fetch(`${url}${route}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return {
    status: response.status,
    source: response.headers.get("x-ns-llm-source"),
    auditSeq: response.headers.get("x-ns-llm-audit-seq"),
    body: (await response.json()) as Record<string, any>,
  };
}
/**
 * The demo model never ends a reply by itself, and only answers that end by themselves are cached:
 * a stop string (the first space) ends these at their first word, with finish reason `stop`.
 */
const STOP = " ";
const generate = (prompt: string) => post("/generate", { prompt, maxTokens: 12, stop: STOP });
/** A streamed /generate: the answer's source header and its SSE events. */
async function stream(prompt: string) {
  const response = await fetch(`${url}/generate`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ prompt, maxTokens: 12, stop: STOP, stream: true }) });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /text\/event-stream/);
  const events = (await readSse(response)) as Array<Record<string, any>>;
  const tokens = events.filter((e) => "token" in e).map((e) => e.token as string);
  const done = events.at(-1)!;
  assert.equal(done.done, true);
  return { source: response.headers.get("x-ns-llm-source"), text: tokens.join(""), done };
}
const metrics = async () => (await fetch(`${url}/metrics`)).text();

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > end) throw new Error(`timed out waiting (last: ${JSON.stringify(value)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs the real CLI (`ns-llm gateway add ...`) against the test's home. */
async function cli(...args: string[]) {
  const { stdout } = await promisify(execFile)(process.execPath, [BIN, ...args], { env: { ...process.env, NS_LLM_HOME: home } });
  return stdout;
}

describe("gateway", { concurrency: false }, () => {
  const asked = "What is NS-LLM?";
  let first: Record<string, any>;

  test("a similar prompt is answered from the semantic cache; hits, misses and time saved in /metrics", async () => {
    const paraphrase = "what is ns-llm";
    const unrelated = "How do I bake bread?";
    const { body: embedded } = await post("/embed", { input: [asked, paraphrase, unrelated] });
    const [q, p, u] = embedded.embeddings as number[][];
    const cosine = (x: number[], y: number[]) => x.reduce((s, v, i) => s + v * y[i]!, 0);
    assert.ok(cosine(q!, p!) >= SIMILARITY, `paraphrase similarity ${cosine(q!, p!)}`);
    assert.ok(cosine(q!, u!) < SIMILARITY, `unrelated similarity ${cosine(q!, u!)}`);

    const nodeGenerations = await node.requests("/generate");
    const miss = await generate(asked);
    assert.equal(miss.status, 200);
    assert.equal(miss.body.source, "llm");
    assert.equal(miss.source, "llm");
    first = miss.body;

    const hit = await generate(paraphrase);
    assert.equal(hit.status, 200);
    assert.equal(hit.body.source, "cache");
    assert.equal(hit.source, "cache");
    assert.equal(hit.body.text, first.text);
    assert.ok(hit.body.similarity >= SIMILARITY && hit.body.similarity <= 1.0001);

    const other = await generate(unrelated);
    assert.equal(other.body.source, "llm");
    // The hit never reached the node.
    assert.equal((await node.requests("/generate")) - nodeGenerations, 2);

    const text = await metrics();
    assert.equal(metricValue(text, "ns_llm_gateway_cache_hits_total"), 1);
    assert.equal(metricValue(text, "ns_llm_gateway_cache_misses_total"), 2);
    // Time saved: the duration of the answer the hit reused.
    assert.ok(Math.abs(metricValue(text, "ns_llm_gateway_cache_time_saved_seconds_total") - first.ms / 1000) < 1e-6);
    assert.equal(metricValue(text, "ns_llm_gateway_cache_entries"), 2);
    assert.equal(metricValue(text, 'ns_llm_gateway_requests_total{route="/generate",source="cache",status="200"}'), 1);

    // Streamed: tokens, then a done event saying where the answer came from.
    const streamsBefore = metricValue(await metrics(), 'ns_llm_gateway_requests_total{route="/generate",source="llm",status="200"}');
    const streamed = await stream("Stream me an answer");
    assert.equal(streamed.source, "llm");
    assert.equal(streamed.done.source, "llm");
    assert.ok(streamed.text.length > 0);
    const streamedAgain = await stream("stream me an answer");
    assert.equal(streamedAgain.source, "cache");
    assert.equal(streamedAgain.text, streamed.text);
    // Streams are counted like any other answer, by source.
    assert.equal(metricValue(await metrics(), 'ns_llm_gateway_requests_total{route="/generate",source="llm",status="200"}') - streamsBefore, 1);

    // cache: false neither reads nor writes the cache.
    const fresh = await post("/generate", { prompt: paraphrase, maxTokens: 12, stop: STOP, cache: false });
    assert.equal(fresh.body.source, "llm");
  });

  test("only answers that ended by themselves are cached, keyed by the request's sampling; every answer carries provenance headers", async () => {
    // Cut at maxTokens (finish reason `length`): asked again, the node answers again.
    const cut = await post("/generate", { prompt: "Tell me everything about anchors", maxTokens: 4 });
    assert.equal(cut.body.finishReason, "length");
    const cutAgain = await post("/generate", { prompt: "Tell me everything about anchors", maxTokens: 4 });
    assert.equal(cutAgain.body.source, "llm");

    // An answer that stopped is cached, but only for the same sampling.
    const answered = await post("/generate", { prompt: "Tell me about audit batches", maxTokens: 12, stop: STOP, temperature: 0 });
    assert.equal(answered.body.finishReason, "stop");
    const otherSampling = await post("/generate", { prompt: "Tell me about audit batches", maxTokens: 12, stop: STOP, temperature: 0.7 });
    assert.equal(otherSampling.body.source, "llm");
    const response = await fetch(`${url}/generate`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: "Tell me about audit batches", maxTokens: 12, stop: STOP, temperature: 0 }),
    });
    const hit = (await response.json()) as Record<string, any>;
    assert.equal(hit.source, "cache");
    // The hit repeats the provenance of the answer it repeats: its model, manifest and audit entry.
    assert.equal(response.headers.get("x-ns-llm-source"), "cache");
    assert.equal(response.headers.get("x-ns-llm-model"), answered.body.model);
    assert.equal(response.headers.get("x-ns-llm-audit-seq"), String(answered.body.auditSeq));
    assert.equal(hit.auditSeq, answered.body.auditSeq);
    assert.equal(hit.manifest, answered.body.manifest);
  });

  test("`ns-llm gateway add` stores documents that /search finds (BM25, and hybrid with the node up)", async () => {
    const docs = path.join(home, "docs");
    await mkdir(docs, { recursive: true });
    await writeFile(path.join(docs, "quokka.md"), "# Quokka relay\n\nThe quokka relay forwards anchors between marsupial validators every night.\n");
    await writeFile(path.join(docs, "kiln.md"), "# Kiln schedule\n\nThe pottery kiln fires glazed bowls on Tuesdays at high temperature.\n");
    assert.deepEqual((await post("/search", { query: "quokka relay" })).body.results, []);

    const added = JSON.parse(await cli("gateway", "add", docs, "--json"));
    assert.deepEqual(added, { added: 2, total: 2 });
    gateway.reindex(); // a running gateway also picks them up on its own within seconds

    // Hybrid (weight 0.5, the node embeds): the lexical match first, the other document still
    // scored by meaning.
    const hybrid = (await post("/search", { query: "quokka relay", k: 5 })).body.results as Array<{ id: string; score: number; text: string }>;
    assert.equal(hybrid[0]!.id, "quokka.md#quokka-relay");
    assert.match(hybrid[0]!.text, /marsupial validators/);
    assert.equal(hybrid.length, 2);
    assert.ok(hybrid[0]!.score > 0.5 && hybrid[0]!.score <= 1);
    assert.ok(hybrid[1]!.score > 0 && hybrid[1]!.score < 0.5, "the kiln document has no lexical part");

    // The weight is configurable: all lexical, only the documents sharing words remain.
    const lexical = await createGateway({ nodeUrls: [node.url], home: path.join(home, "gateway"), lexicalWeight: 1, client: { healthCheckMs: 0 } });
    try {
      const response = await lexical.app.inject({ method: "POST", url: "/search", payload: { query: "quokka relay", k: 5 } });
      assert.deepEqual(
        response.json().results.map((r: { id: string; score: number }) => [r.id, r.score]),
        [["quokka.md#quokka-relay", 1]],
      );
    } finally {
      await lexical.close();
    }

    const bad = await post("/search", { query: "" });
    assert.equal(bad.status, 400);
    assert.ok(bad.body.error.code && bad.body.error.message);
  });

  test("with the node stopped: search answers with a reason, exact repeats from the cache; back to the node once it returns", async () => {
    await node.kill();

    const degraded = await generate("Which relay forwards anchors between validators?");
    assert.equal(degraded.status, 200);
    assert.equal(degraded.body.source, "search");
    assert.equal(degraded.source, "search");
    assert.match(degraded.body.reason, /ECONNREFUSED|fetch failed|circuit breaker is open/);
    assert.equal(degraded.body.results[0].id, "quokka.md#quokka-relay");
    assert.match(degraded.body.text, /marsupial validators/);

    // The exact prompt asked before: from the cache, without the node's embeddings.
    const repeated = await generate(asked);
    assert.equal(repeated.body.source, "cache");
    assert.equal(repeated.body.text, first.text);

    // BM25 alone while the node cannot embed: only the lexical match.
    const results = (await post("/search", { query: "quokka relay" })).body.results as Array<{ id: string; score: number }>;
    assert.deepEqual(results.map((r) => [r.id, r.score]), [["quokka.md#quokka-relay", 1]]);

    // Streamed too: the search answer as SSE, marked, with its reason.
    const streamed = await stream("Which relay forwards anchors?");
    assert.equal(streamed.source, "search");
    assert.equal(streamed.done.source, "search");
    assert.ok(streamed.done.reason);
    assert.match(streamed.text, /marsupial validators/);

    // Nothing in the documents: still an answer that says so, never a bare error.
    const nothing = await generate("zyxwv qqqq");
    assert.equal(nothing.body.source, "search");
    assert.match(nothing.body.text, /nothing on this question/);
    assert.ok(nothing.body.reason);

    // The gateway has noticed it cannot embed: no more embedding attempts before each answer.
    await until(async () => (await (await fetch(`${url}/health`)).json()) as Record<string, any>, (h) => h.node.embeddingModel === null);
    const health = await (await fetch(`${url}/health`)).json();
    assert.equal(health.status, "degraded");
    assert.ok(health.reasons.length > 0);
    const text = await metrics();
    assert.ok(metricValue(text, 'ns_llm_gateway_requests_total{route="/generate",source="search",status="200"}') >= 2);
    assert.ok(text.includes('ns_llm_gateway_client_events_total{type="breaker",state="open"}'));

    // Back on the same port: after the breaker's half-open pause the node answers again.
    // (A loaded machine may need a second half-open trial: the first can meet a connection the
    // killed node left in the pool. Recovery is what counts, so poll for it, boundedly.)
    await node.restart();
    await new Promise((r) => setTimeout(r, HALF_OPEN_AFTER_MS + 100));
    const recovered = await until(() => generate("Tell me about the relay"), (r) => r.body.source === "llm");
    assert.equal(recovered.source, "llm");

    // And the semantic cache with it, once the gateway has seen the node embed again.
    await until(async () => (await (await fetch(`${url}/health`)).json()) as Record<string, any>, (h) => h.status === "ok" && h.node.embeddingModel !== null);
    const again = await generate("Which anchors does the quokka relay forward?");
    assert.equal(again.body.source, "llm");
    const similar = await generate("which anchors does the quokka relay forward");
    assert.equal(similar.body.source, "cache");
    assert.ok(similar.body.similarity >= SIMILARITY);
  });
});

describe("gateway database", () => {
  test("documents and cache share one schema; a database made by `gateway add` before the cache existed gets its cache table", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ns-llm-gateway-db-"));
    try {
      const file = path.join(dir, "gateway.db");
      // What an older `gateway add` left: the documents table at schema version 1.
      const old = new DatabaseSync(file);
      old.exec("CREATE TABLE documents (id TEXT PRIMARY KEY, title TEXT, text TEXT NOT NULL, added_at TEXT NOT NULL); PRAGMA user_version = 1;");
      old.exec("INSERT INTO documents VALUES ('a.md#a', 'A', 'kept text', '2026-01-01')");
      old.close();

      const db = openDatabase(file);
      try {
        const documents = openDocumentStore(db);
        const cache = openSemanticCache(db);
        assert.equal(documents.count(), 1);
        const v = Float32Array.from([0.6, 0.8]);
        cache.store({ embedding: v, space: "model-a", settings: "{}", prompt: "p", text: "answer", model: "llm", ms: 5, tokens: 1, manifest: null, auditSeq: null });
        assert.equal(cache.lookup(v, "{}", 0.9, "model-a")?.text, "answer");
        // Another embedding model's vectors are not comparable, whatever their dimension.
        assert.equal(cache.lookup(v, "{}", 0.9, "model-b"), undefined);
        // Other settings, other answers.
        assert.equal(cache.lookup(v, '{"maxTokens":1}', 0.9, "model-a"), undefined);
        assert.equal(cache.lookupExact("p", "{}")?.text, "answer");
      } finally {
        db.close();
      }
      // Reopened: the vectors come back from the database with their model.
      const again = openDatabase(file);
      try {
        const cache = openSemanticCache(again);
        assert.equal(cache.size(), 1);
        assert.equal(cache.lookup(Float32Array.from([0.6, 0.8]), "{}", 0.9, "model-a")?.similarity.toFixed(6), "1.000000");
        assert.equal(cache.lookup(Float32Array.from([0.6, 0.8]), "{}", 0.9, "model-b"), undefined);
      } finally {
        again.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
