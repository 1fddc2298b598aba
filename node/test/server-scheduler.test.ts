/**
 * The scheduler and the embedding micro-batcher on their own: FIFO order, bounded queue, deadlines,
 * cancellation while waiting, output clamping; batching of concurrent embeddings on the real demo
 * encoder; the memory check.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { writeDemoBert } from "../src/demo/demo-bert.ts";
import { createEmbeddingEngine } from "../src/inference/embedding/index.ts";
import { assertMemoryFor, InsufficientMemoryError, ModelSlot, type EmbeddingEngine } from "../src/inference/index.ts";
import {
  clampOutputTokens,
  ClientGoneError,
  createEmbeddingBatcher,
  createScheduler,
  QueueFullError,
  RequestTimeoutError,
  SchedulerClosedError,
} from "../src/serving/index.ts";

/** A task that runs until `release()` is called (or its signal aborts). */
function gate() {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return {
    release: () => release(),
    task: (signal: AbortSignal) =>
      new Promise<string>((resolve, reject) => {
        done.then(() => resolve("done"));
        signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      }),
  };
}

describe("scheduler", () => {
  it("runs up to the limit at once, then FIFO", async () => {
    const s = createScheduler({ limits: { maxConcurrent: 2, maxQueue: 10 } });
    const gates = [gate(), gate(), gate(), gate()];
    const order: number[] = [];
    const runs = gates.map((g, i) => s.run(async (signal) => (order.push(i), g.task(signal))));
    assert.deepEqual(s.stats(), { active: 2, queued: 2, limit: 2, maxQueue: 10 });
    gates[1]!.release();
    await runs[1];
    assert.deepEqual(order, [0, 1, 2]);
    gates[0]!.release();
    await runs[0];
    assert.deepEqual(order, [0, 1, 2, 3]);
    gates[2]!.release();
    gates[3]!.release();
    await Promise.all(runs);
    assert.equal(s.stats().active, 0);
  });

  it("refuses with QueueFullError (and a Retry-After) when the queue is full", async () => {
    const s = createScheduler({ limits: { maxConcurrent: 1, maxQueue: 1 } });
    const a = gate();
    const b = gate();
    const ra = s.run(a.task);
    const rb = s.run(b.task);
    const refused = await s.run(async () => "never").catch((e: unknown) => e);
    assert.ok(refused instanceof QueueFullError);
    assert.ok(refused.retryAfterSeconds >= 1);
    a.release();
    b.release();
    await Promise.all([ra, rb]);
  });

  it("a caller that aborts while waiting leaves the queue; one that aborts while running aborts its task", async () => {
    const s = createScheduler({ limits: { maxConcurrent: 1, maxQueue: 4 } });
    const running = new AbortController();
    const waiting = new AbortController();
    const a = gate();
    const ra = s.run(a.task, { signal: running.signal });
    const rb = s.run(async () => "never", { signal: waiting.signal });
    waiting.abort(new ClientGoneError());
    await assert.rejects(rb, ClientGoneError);
    assert.equal(s.stats().queued, 0);
    running.abort(new ClientGoneError());
    await assert.rejects(ra, ClientGoneError);
    assert.equal(s.stats().active, 0);
  });

  it("the deadline rejects a waiting request and aborts a running one with RequestTimeoutError", async () => {
    const s = createScheduler({ limits: { maxConcurrent: 1, maxQueue: 4, timeoutMs: 50 } });
    // A task that keeps its slot past its deadline (it ignores its signal until released).
    let release!: () => void;
    const stubborn = s.run(() => new Promise<string>((resolve) => (release = () => resolve("late"))));
    await assert.rejects(s.run(async () => "never"), RequestTimeoutError);
    release();
    assert.equal(await stubborn, "late");
    await assert.rejects(s.run(gate().task), RequestTimeoutError);
  });

  it("close() refuses new and waiting work; abortRunning() cancels running work", async () => {
    const s = createScheduler({ limits: { maxConcurrent: 1, maxQueue: 4 } });
    const running = s.run(gate().task);
    const waiting = s.run(async () => "never");
    s.close();
    await assert.rejects(waiting, SchedulerClosedError);
    await assert.rejects(s.run(async () => "x"), SchedulerClosedError);
    s.abortRunning();
    await assert.rejects(running, SchedulerClosedError);
    await s.idle();
  });

  it("uses the engine's capacity when no limit is set", () => {
    let capacity = 3;
    const s = createScheduler({ capacity: () => capacity });
    assert.equal(s.stats().limit, 3);
    capacity = 0;
    assert.equal(s.stats().limit, 1);
  });

  it("clamps output tokens to the node's limit, the governed maximum and the context left", () => {
    assert.equal(clampOutputTokens({ requested: 500, governedMaxTokens: 256, nodeMaxTokens: 1024 }), 256);
    assert.equal(clampOutputTokens({ requested: undefined, governedMaxTokens: 128, nodeMaxTokens: 1024 }), 128);
    assert.equal(clampOutputTokens({ requested: 100, governedMaxTokens: undefined, nodeMaxTokens: 64 }), 64);
    assert.equal(clampOutputTokens({ requested: 100, governedMaxTokens: 256, nodeMaxTokens: 1024, contextLeft: 10 }), 10);
    assert.equal(clampOutputTokens({ requested: 100, governedMaxTokens: 256, nodeMaxTokens: 1024, contextLeft: -5 }), 0);
  });
});

describe("embedding micro-batcher (demo encoder)", () => {
  it("batches concurrent requests into few engine calls, each request getting its own vectors", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ns-llm-batch-"));
    try {
      const files = await writeDemoBert(dir);
      const engine = await createEmbeddingEngine({ model: files.model, tokenizer: files.vocab, threads: 1 });
      const slot = new ModelSlot<EmbeddingEngine>();
      slot.swap(engine, { cid: undefined, name: "demo", version: undefined, digest: undefined });
      const batches: number[] = [];
      const batcher = createEmbeddingBatcher({ acquire: () => slot.acquire(), windowMs: 2, limits: () => ({ maxBatch: 32 }), onBatch: (n) => batches.push(n) });
      const texts = Array.from({ length: 40 }, (_, i) => `text number ${i}`);
      const results = await Promise.all(texts.map((t) => batcher.embed([t])));
      assert.equal(batches.reduce((a, b) => a + b, 0), 40);
      assert.ok(batches.length <= 3, `40 single requests took ${batches.length} engine calls`);
      assert.ok(Math.max(...batches) <= 32);
      const direct = await engine.embed(texts);
      results.forEach((r, i) => {
        assert.equal(r.vectors.length, 1);
        r.vectors[0]!.forEach((x, j) => assert.ok(Math.abs(x - direct[i]![j]!) < 1e-5));
      });
      // A request larger than a batch is cut, in order.
      const big = await batcher.embed(texts);
      big.vectors.forEach((v, i) => assert.ok(Math.abs(v[0]! - direct[i]![0]!) < 1e-5));
      await slot.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("embedding admission (demo encoder)", () => {
  /** The demo encoder under another name whose vectors are negated: a second model, told apart by its output. */
  function otherModel(engine: EmbeddingEngine, name: string): EmbeddingEngine & { calls: number[] } {
    const calls: number[] = [];
    return {
      info: { ...engine.info, name },
      calls,
      async embed(texts: string[]) {
        calls.push(texts.length);
        return (await engine.embed(texts)).map((v) => v.map((x) => -x));
      },
      async dispose() {},
    } as unknown as EmbeddingEngine & { calls: number[] };
  }

  async function withEncoder(run: (engine: EmbeddingEngine) => Promise<void>): Promise<void> {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ns-llm-admit-"));
    const files = await writeDemoBert(dir);
    const engine = await createEmbeddingEngine({ model: files.model, tokenizer: files.vocab, threads: 1 });
    try {
      await run(engine);
    } finally {
      await engine.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  }

  it("refuses a request with QueueFullError when maxQueue requests already wait, and admits again once they are served", async () => {
    await withEncoder(async (engine) => {
      const slot = new ModelSlot<EmbeddingEngine>();
      slot.swap(otherModel(engine, "a"), { cid: undefined, name: "a", version: undefined, digest: undefined });
      const limits = { maxBatch: 1, maxQueue: 2, timeoutMs: 60_000 };
      const batcher = createEmbeddingBatcher({ acquire: () => slot.acquire(), limits: () => limits });
      // One request runs, two wait: the queue is full.
      const admitted = [batcher.embed(["one"]), batcher.embed(["two"]), batcher.embed(["three"])];
      await assert.rejects(batcher.embed(["four"]), (e: unknown) => e instanceof QueueFullError && /embedding queue is full/.test(e.message));
      await Promise.all(admitted);
      assert.equal((await batcher.embed(["five"])).vectors.length, 1);
      // A governed maxQueue of 0 refuses whatever would wait behind a running request.
      limits.maxQueue = 0;
      const running = batcher.embed(["six"]);
      await assert.rejects(batcher.embed(["seven"]), QueueFullError);
      await running;
    });
  });

  it("drops a waiting request when its client goes away or its deadline passes", async () => {
    await withEncoder(async (engine) => {
      const slot = new ModelSlot<EmbeddingEngine>();
      slot.swap(engine, { cid: undefined, name: "demo", version: undefined, digest: undefined });
      const limits = { maxBatch: 1, maxQueue: 100, timeoutMs: 60_000 };
      const batcher = createEmbeddingBatcher({ acquire: () => slot.acquire(), limits: () => limits });
      const first = batcher.embed(Array.from({ length: 30 }, (_, i) => `a long request, part ${i}`));
      const client = new AbortController();
      const gone = batcher.embed(["never embedded"], { signal: client.signal });
      client.abort(new ClientGoneError());
      await assert.rejects(gone, ClientGoneError);
      limits.timeoutMs = 1;
      await assert.rejects(batcher.embed(["too late"]), RequestTimeoutError);
      assert.equal((await first).vectors.length, 30);
      assert.equal(batcher.waiting, 0);
    });
  });

  it("never mixes two models' vectors: a swap in the middle of a large request leaves it on the engine it was admitted with", async () => {
    await withEncoder(async (engine) => {
      const a = otherModel(engine, "model-a");
      const b = otherModel(engine, "model-b");
      const slot = new ModelSlot<EmbeddingEngine>();
      slot.swap(a, { cid: "a", name: "model-a", version: undefined, digest: undefined });
      const batcher = createEmbeddingBatcher({ acquire: () => slot.acquire(), limits: () => ({ maxBatch: 4 }) });
      const texts = Array.from({ length: 20 }, (_, i) => `text number ${i}`);
      const large = batcher.embed(texts);
      // The swap lands while the large request's first batch is in the engine; a request admitted after it uses model b.
      await new Promise((resolve) => setImmediate(resolve));
      slot.swap(b, { cid: "b", name: "model-b", version: undefined, digest: undefined });
      const after = batcher.embed(["text number 0"]);
      const [r, s] = await Promise.all([large, after]);
      assert.equal(r.model, "model-a");
      assert.equal(r.manifest.cid, "a");
      assert.deepEqual(a.calls, [4, 4, 4, 4, 4], "every batch of the large request went to model a");
      assert.deepEqual(b.calls, [1]);
      const direct = await engine.embed(texts);
      r.vectors.forEach((v, i) => assert.ok(Math.abs(v[0]! + direct[i]![0]!) < 1e-5, `vector ${i} is model a's`));
      assert.equal(s.model, "model-b");
      assert.ok(Math.abs(s.vectors[0]![0]! + direct[0]![0]!) < 1e-5);
      await slot.close();
    });
  });
});

describe("memory check", () => {
  it("refuses a model larger than free memory x factor, with a clear message", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ns-llm-mem-"));
    try {
      const file = path.join(dir, "model.gguf");
      await writeFile(file, Buffer.alloc(1024 * 1024));
      const ok = await assertMemoryFor({ files: [file], factor: 1.5, freeBytes: 2 * 1024 * 1024 });
      assert.equal(ok.neededBytes, 1.5 * 1024 * 1024);
      await assert.rejects(assertMemoryFor({ files: [file], factor: 1.5, freeBytes: 1024 * 1024, what: "the test model" }), (e: unknown) => {
        assert.ok(e instanceof InsufficientMemoryError);
        assert.match(e.message, /not enough free memory to load the test model: needs about 2 MiB, 1 MiB free/);
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
