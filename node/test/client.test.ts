/**
 * ns-llm-client against real node processes (`ns-llm serve --demo --no-chain`, one inference
 * thread, each in its own home on a port the OS chose): keep-alive, timeouts of a node made slow
 * (SIGSTOP), retries of idempotent calls only, the circuit breaker's whole cycle around a node
 * killed and restarted on its port, failover by health and on a node answering 503 (one started
 * without models), streaming and its abort. Request counts are read from the nodes' own /metrics.
 */
import assert from "node:assert/strict";
import diagnostics from "node:diagnostics_channel";
import { after, before, describe, test } from "node:test";
import { createNodeClient, NodeHttpError, NodeTimeoutError, NoEndpointError, type ClientEvent, type NodeClientOptions } from "../src/client/index.ts";
import { spawnNode, type NodeProcess } from "./helpers/node-process.ts";

let a: NodeProcess; // demo models; the one made slow, killed and restarted
let b: NodeProcess; // demo models; the failover target
let c: NodeProcess; // no models: /embed answers 503, /health says "degraded"

before(async () => {
  const started = await Promise.allSettled([spawnNode(), spawnNode(), spawnNode({ demo: false })]);
  const value = (i: number) => {
    const s = started[i]!;
    return (s.status === "fulfilled" ? s.value : undefined) as NodeProcess;
  };
  [a, b, c] = [value(0), value(1), value(2)];
  // One failed: `after` stops the others (their processes would keep this test process alive).
  for (const s of started) if (s.status === "rejected") throw s.reason;
});
after(async () => {
  await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
});

/** A client whose background health checks are off (tests call checkHealth) and whose events are kept. */
function clientFor(endpoints: string[], options: Partial<NodeClientOptions> = {}) {
  const events: ClientEvent[] = [];
  const client = createNodeClient({
    endpoints,
    healthCheckMs: 0,
    retry: { attempts: 2, initialDelayMs: 20, maxDelayMs: 100 },
    ...options,
    onEvent: (event) => events.push(event),
  });
  return { client, events };
}

/** Polls `read` until `done` holds (the node counts a request when its connection finishes). */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(value)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const breakerStates = (events: ClientEvent[]) => events.flatMap((e) => (e.type === "breaker" ? [e.state] : []));

describe("ns-llm-client against real nodes", { concurrency: false }, () => {
  test("sequential calls reuse keep-alive connections", async () => {
    // TCP connections the client opens to a, seen through undici's diagnostics channel.
    const connects: number[] = [];
    const onConnect = (message: unknown) => {
      const { connectParams } = message as { connectParams: { port: string | number } };
      if (Number(connectParams.port) === a.port) connects.push(Date.now());
    };
    const embedsBefore = await a.requests("/embed");
    const { client } = clientFor([a.url]);
    diagnostics.subscribe("undici:client:connected", onConnect);
    try {
      for (let i = 0; i < 15; i++) {
        const answer = await client.embed({ input: `keep-alive ${i}` });
        assert.equal(answer.embeddings.length, 1);
        assert.equal(answer.endpoint, a.url);
      }
      await client.health();
      const generated = await client.generate({ prompt: "Say hello", maxTokens: 4 });
      assert.equal(generated.source, "llm");
      const models = await client.models();
      assert.ok(models.data.length >= 1);
    } finally {
      diagnostics.unsubscribe("undici:client:connected", onConnect);
      await client.close();
    }
    // undici's pool hands the next request to a second socket while the first is still being
    // released, then alternates between the two: eighteen calls, at most two connections.
    assert.ok(connects.length >= 1 && connects.length <= 2, `${connects.length} connections for 18 calls`);
    // Each call reached the node exactly once.
    assert.equal((await a.requests("/embed", "POST", 200)) - embedsBefore, 15);
  });

  test("a node made slow (SIGSTOP) times out with a clear error, and answers again after SIGCONT", async () => {
    const { client } = clientFor([a.url], { timeoutMs: 400, retry: { attempts: 0, initialDelayMs: 10, maxDelayMs: 10 } });
    try {
      await client.health(); // a pooled connection exists before the pause
      a.pause();
      await assert.rejects(client.generate({ prompt: "Anyone there?", maxTokens: 4 }), (error: unknown) => {
        assert.ok(error instanceof NodeTimeoutError, String(error));
        assert.equal(error.message, `${a.url} did not answer POST /generate within 400 ms`);
        return true;
      });
      await assert.rejects(client.embed({ input: "slow" }), (error: unknown) => {
        assert.ok(error instanceof NoEndpointError, String(error));
        assert.match(error.message, /did not answer POST \/embed within 400 ms/);
        return true;
      });
      // A per-call timeout overrides the client's.
      await assert.rejects(client.health({ timeoutMs: 150 }), /did not answer GET \/health within 150 ms/);
    } finally {
      a.resume();
    }
    try {
      const answer = await client.embed({ input: "awake" });
      assert.equal(answer.endpoint, a.url);
    } finally {
      await client.close();
    }
  });

  test("retries idempotent calls (embed) but never generate", async () => {
    // A node answering 503: embed is retried, each attempt reaches the node (its own count).
    {
      const { client, events } = clientFor([c.url], { retry: { attempts: 2, initialDelayMs: 20, maxDelayMs: 100 }, breaker: { failureThreshold: 100 } });
      const refusedBefore = await c.requests("/embed", "POST", 503);
      try {
        await assert.rejects(client.embed({ input: "x" }), (error: unknown) => {
          assert.ok(error instanceof NoEndpointError);
          assert.ok(error.cause instanceof NodeHttpError);
          assert.equal(error.cause.status, 503);
          assert.equal(error.cause.code, "embedding_unavailable");
          return true;
        });
      } finally {
        await client.close();
      }
      assert.equal((await c.requests("/embed", "POST", 503)) - refusedBefore, 3, "one call and two retries");
      const retries = events.filter((e) => e.type === "retry");
      assert.deepEqual(retries.map((e) => e.type === "retry" && e.attempt), [1, 2]);
      assert.ok(retries.every((e) => e.type === "retry" && e.delayMs >= 0 && e.delayMs <= 100 && e.endpoint === c.url));
    }
    // The same fault for both calls: a node made slow. generate times out once and is not sent
    // again (it may have started generating); embed is sent 1 + 2 times.
    {
      const { client, events } = clientFor([a.url], { timeoutMs: 300, retry: { attempts: 2, initialDelayMs: 20, maxDelayMs: 100 }, breaker: { failureThreshold: 100 } });
      const generateBefore = await a.requests("/generate");
      const embedBefore = await a.requests("/embed");
      a.pause();
      try {
        await assert.rejects(client.generate({ prompt: "Once only", maxTokens: 2 }), NodeTimeoutError);
        assert.equal(events.filter((e) => e.type === "retry").length, 0, "generate is not retried");
        await assert.rejects(client.embed({ input: "thrice" }), NoEndpointError);
        assert.equal(events.filter((e) => e.type === "retry").length, 2, "embed is retried twice");
      } finally {
        a.resume();
        await client.close();
      }
      // Resumed, the node reads what reached it during the pause and counts each request when its
      // (client-closed) connection ends.
      await until(() => a.requests("/embed"), (n) => n - embedBefore >= 3, "the three embed requests");
      await until(() => a.requests("/generate"), (n) => n - generateBefore >= 1, "the generate request");
      assert.equal((await a.requests("/embed")) - embedBefore, 3);
      assert.equal((await a.requests("/generate")) - generateBefore, 1);
    }
  });

  test("the breaker opens on a killed node, half-opens after the pause, and closes when it is back", async () => {
    const halfOpenAfterMs = 500;
    const { client, events } = clientFor([a.url], { retry: { attempts: 0, initialDelayMs: 10, maxDelayMs: 10 }, breaker: { failureThreshold: 2, halfOpenAfterMs } });
    try {
      assert.equal((await client.embed({ input: "up" })).endpoint, a.url);
      await a.kill();
      for (let i = 0; i < 2; i++) await assert.rejects(client.embed({ input: "down" }), /ECONNREFUSED|fetch failed/);
      assert.deepEqual(breakerStates(events), ["open"]);
      assert.equal(client.endpoints()[0]!.breaker, "open");
      // Open: refused at once, without touching the network.
      await assert.rejects(client.embed({ input: "refused" }), (error: unknown) => {
        assert.ok(error instanceof NoEndpointError);
        assert.match(error.message, /circuit breaker is open/);
        return true;
      });
      // generate too: a broken circuit surely did not deliver it, so it is an endpoint-level refusal.
      await assert.rejects(client.generate({ prompt: "refused", maxTokens: 2 }), NoEndpointError);
      // After the pause one trial goes out; the node is still down, so it opens again.
      await new Promise((r) => setTimeout(r, halfOpenAfterMs + 50));
      await assert.rejects(client.embed({ input: "trial" }), NoEndpointError);
      assert.deepEqual(breakerStates(events), ["open", "half-open", "open"]);

      await a.restart(); // same port
      await new Promise((r) => setTimeout(r, halfOpenAfterMs + 50));
      const answer = await client.embed({ input: "back" });
      assert.equal(answer.endpoint, a.url);
      assert.deepEqual(breakerStates(events), ["open", "half-open", "open", "half-open", "closed"]);
      assert.equal(client.endpoints()[0]!.breaker, "closed");
    } finally {
      if (!a.running) await a.restart();
      await client.close();
    }
  });

  test("fails over to the next endpoint when the first is killed, and prefers it again by health", async () => {
    const { client, events } = clientFor([a.url, b.url], { retry: { attempts: 0, initialDelayMs: 10, maxDelayMs: 10 } });
    try {
      assert.equal((await client.embed({ input: "first" })).endpoint, a.url);
      await a.kill();
      // Before any health check notices: the refused connection moves the call on.
      const embedded = await client.embed({ input: "second" });
      assert.equal(embedded.endpoint, b.url);
      const failovers = events.filter((e) => e.type === "failover");
      assert.equal(failovers.length, 1);
      assert.deepEqual({ ...failovers[0], error: undefined }, { type: "failover", from: a.url, to: b.url, error: undefined });
      assert.match((failovers[0] as { error: string }).error, /fetch failed|ECONNREFUSED/);
      // generate is not idempotent, but a refused connection surely never delivered it.
      const generatedBefore = await b.requests("/generate");
      const generated = await client.generate({ prompt: "Failover", maxTokens: 4 });
      assert.equal(generated.source, "llm");
      assert.equal((await b.requests("/generate")) - generatedBefore, 1);

      // The health check marks the killed node down: calls go to b first, no failover.
      await client.checkHealth();
      assert.equal(client.endpoints()[0]!.healthy, false);
      assert.ok(events.some((e) => e.type === "health" && e.endpoint === a.url && !e.healthy));
      const failoversBefore = events.filter((e) => e.type === "failover").length;
      assert.equal((await client.embed({ input: "third" })).endpoint, b.url);
      assert.equal(events.filter((e) => e.type === "failover").length, failoversBefore);

      await a.restart();
      await client.checkHealth();
      assert.ok(events.some((e) => e.type === "health" && e.endpoint === a.url && e.healthy));
      assert.equal((await client.embed({ input: "fourth" })).endpoint, a.url);
    } finally {
      if (!a.running) await a.restart();
      await client.close();
    }
  });

  test("a node answering 503 is failed over, its breaker opens, and health ranks it last", async () => {
    const { client, events } = clientFor([c.url, b.url], { retry: { attempts: 0, initialDelayMs: 10, maxDelayMs: 10 }, breaker: { failureThreshold: 2, halfOpenAfterMs: 60_000 } });
    const refusedBefore = await c.requests("/embed", "POST", 503);
    try {
      for (let i = 0; i < 3; i++) assert.equal((await client.embed({ input: `via b ${i}` })).endpoint, b.url);
      // Two 503s opened c's circuit; then b ranks first and the third call neither reaches c nor
      // needs a failover.
      const failovers = events.filter((e) => e.type === "failover");
      assert.equal(failovers.length, 2);
      assert.match((failovers[0] as { error: string }).error, /503 embedding_unavailable/);
      assert.deepEqual(breakerStates(events), ["open"]);
      assert.equal((await c.requests("/embed", "POST", 503)) - refusedBefore, 2);
    } finally {
      await client.close();
    }

    // A fresh client, its background health check on: c says "degraded", so b is asked first.
    const fresh = clientFor([c.url, b.url], { healthCheckMs: 100 });
    try {
      await until(async () => fresh.events.some((e) => e.type === "health"), Boolean, "a background health check");
      assert.deepEqual(fresh.events, [{ type: "health", endpoint: c.url, healthy: true, degraded: true }]);
      const statuses = fresh.client.endpoints();
      assert.deepEqual(
        statuses.map((s) => [s.url, s.healthy, s.degraded]),
        [
          [c.url, true, true],
          [b.url, true, false],
        ],
      );
      const before503 = await c.requests("/embed", "POST", 503);
      assert.equal((await fresh.client.embed({ input: "ranked" })).endpoint, b.url);
      assert.equal(fresh.events.filter((e) => e.type === "failover").length, 0);
      assert.equal(await c.requests("/embed", "POST", 503), before503);
    } finally {
      await fresh.client.close();
    }
  });

  test("streams tokens in order, and an abort stops the generation on the node", async () => {
    const { client } = clientFor([a.url]);
    try {
      const prompt = "Tell me about the network";
      // 64 tokens: the demo genesis's validation thresholds release a stream one checked unit
      // (sentence, or window of up to 200 characters) at a time, so the answer spans several.
      const whole = await client.generate({ prompt, maxTokens: 64, temperature: 0 });
      const tokens: string[] = [];
      let done: { done: true; tokens?: number; source?: string } | undefined;
      for await (const event of client.generateStream({ prompt, maxTokens: 64, temperature: 0 })) {
        if ("token" in event) {
          assert.equal(done, undefined, "no token after done");
          tokens.push(event.token);
        } else done = event;
      }
      assert.ok(done, "a done event ends the stream");
      assert.equal(done.source, "llm");
      assert.equal(done.tokens, whole.tokens);
      assert.ok(tokens.length >= 2);
      // Greedy decoding: the streamed pieces, in the order they came, are the whole answer.
      assert.equal(tokens.join(""), whole.text);

      const abortsBefore = await abortedGenerations(a);
      const controller = new AbortController();
      let received = 0;
      await assert.rejects(
        (async () => {
          for await (const event of client.generateStream({ prompt: "Tell a long story", maxTokens: 100_000 }, { signal: controller.signal })) {
            if ("token" in event && ++received === 3) controller.abort();
          }
        })(),
        { name: "AbortError" },
      );
      assert.equal(received, 3);
      // The node saw the client go away and stopped generating.
      await until(() => abortedGenerations(a), (n) => n > abortsBefore, "the node to record the abort");
    } finally {
      await client.close();
    }
  });

  test("a stream's timeout covers its first byte", async () => {
    const { client } = clientFor([a.url], { timeoutMs: 300 });
    try {
      a.pause();
      await assert.rejects(
        (async () => {
          for await (const _ of client.generateStream({ prompt: "slow start", maxTokens: 2 }));
        })(),
        new NodeTimeoutError(a.url, "POST /generate", 300),
      );
    } finally {
      a.resume();
    }
    await client.close();
    // The first byte of a stream is its first checked unit (the demo genesis's validation
    // thresholds), so this part gives it a timeout a loaded machine can meet.
    const { client: patient } = clientFor([a.url], { timeoutMs: 1500 });
    try {
      // Once its first byte is in, a stream may take longer than the timeout: pause the node
      // mid-stream for twice the timeout, and the stream still completes.
      let count = 0;
      let done = false;
      for await (const event of patient.generateStream({ prompt: "a long one", maxTokens: 64 })) {
        if ("token" in event && ++count === 1) {
          a.pause();
          await new Promise((r) => setTimeout(r, 3000));
          a.resume();
        }
        if ("done" in event) done = true;
      }
      assert.ok(done && count > 1);
    } finally {
      a.resume();
      await patient.close();
    }
  });
});

async function abortedGenerations(node: NodeProcess): Promise<number> {
  const line = (await node.metrics()).split("\n").find((l) => l.startsWith("ns_llm_generations_total{") && l.includes('finish="abort"'));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
}
