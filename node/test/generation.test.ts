import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { demoLlamaShape, writeDemoLlama } from "../src/demo/demo-llama.ts";
import {
  createGenerationEngine,
  GenerationEngineDisposedError,
  GenerationRequestError,
  type LlamaGenerationEngine,
} from "../src/inference/generation/index.ts";
import { SequencePool } from "../src/inference/generation/sequence-pool.ts";
import { StopFilter } from "../src/inference/generation/stop-filter.ts";
import type { GenerationResult } from "../src/inference/types.ts";

/** Resolves after pending callbacks ran (requests took their sequences or queued). */
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("stop filter", () => {
  const run = (stops: string[], chunks: string[]) => {
    const filter = new StopFilter(stops);
    const shown: string[] = [];
    for (const chunk of chunks) {
      const { text, stopped } = filter.push(chunk);
      shown.push(text);
      if (stopped) return { shown, stopped };
    }
    shown.push(filter.flush());
    return { shown, stopped: false };
  };

  it("finds a stop across chunks and shows nothing of it", () => {
    assert.deepEqual(run(["little girl"], ["there was a", " litt", "le g", "irl named"]), { shown: ["there was a", " ", "", ""], stopped: true });
  });
  it("holds back only what could still become a stop, and gives it back when it does not", () => {
    assert.deepEqual(run(["\nUser:"], ["Hi.\n", "Us", "ually", " yes"]), { shown: ["Hi.", "", "\nUsually", " yes", ""], stopped: false });
  });
  it("stops at the earliest of several stops, also inside one chunk", () => {
    assert.deepEqual(run(["cd", "b"], ["abcd"]), { shown: ["a"], stopped: true });
  });
  it("passes everything through without stops", () => {
    assert.deepEqual(run([], ["a", "b"]), { shown: ["a", "b", ""], stopped: false });
  });
});

describe("sequence pool", () => {
  it("gives the free item rated best (the first of equals), takes free items aside, and keeps an item busy until it settles", async () => {
    const pool = new SequencePool(["a", "bb", "cc", "d"]);
    assert.equal(await pool.acquire(undefined, (item) => item.length), "bb");
    assert.deepEqual(pool.takeFree((item) => item.length === 1), ["a", "d"]);
    assert.equal(pool.busy, 3);
    let settle!: () => void;
    pool.release("a", new Promise<void>((resolve) => (settle = resolve)));
    await tick();
    assert.equal(pool.busy, 3, "busy until it settles");
    settle();
    await tick();
    assert.equal(pool.busy, 2);
    assert.equal(await pool.acquire(), "cc");
    assert.equal(await pool.acquire(), "a");
  });
});

describe("generation engine (demo llama model, 1 thread)", () => {
  let dir: string;
  let modelPath: string;
  let engine: LlamaGenerationEngine;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ns-llm-generation-"));
    modelPath = path.join(dir, "demo-llama.gguf");
    await writeDemoLlama(modelPath);
    engine = await createGenerationEngine({ modelPath, name: "demo", threads: 1, sequences: 2 });
  });
  after(async () => {
    await engine?.dispose({ force: true });
    await rm(dir, { recursive: true, force: true });
  });

  it("reports the model and its capacity", () => {
    // offload: no GPU here (llama.cpp cannot offload), no cap given, the demo's 2 blocks + the output layer.
    assert.deepEqual(engine.info, {
      name: "demo",
      path: modelPath,
      contextLength: 512,
      hasChatTemplate: true,
      device: { backend: "cpu", gpuLayers: 0 },
      offload: { supported: false, totalLayers: demoLlamaShape.blockCount + 1, cap: null, gpuLayers: 0 },
    });
    assert.equal(engine.capacity, 2);
    assert.equal(engine.active, 0);
    assert.equal(engine.waiting, 0);
    assert.equal(engine.countTokens("the house"), 2);
  });

  it("streams the text in order: the pieces given to onToken make up the text", async () => {
    const pieces: string[] = [];
    const result = await engine.complete({ prompt: "the old man", maxTokens: 12, temperature: 0.7, seed: 7, onToken: (p) => pieces.push(p) });
    assert.ok(pieces.length > 1);
    assert.equal(pieces.join(""), result.text);
    assert.ok(result.text.length > 0);
    assert.equal(result.promptTokens, 4, "<s> the old man");
    assert.ok(result.firstTokenMs !== null && result.firstTokenMs <= result.ms);
  });

  it("streams side by side requests each in order, every piece before the answer", async () => {
    const run = async (prompt: string) => {
      const pieces: string[] = [];
      const result = await engine.complete({ prompt, maxTokens: 30, temperature: 0, onToken: (p) => pieces.push(p) });
      return { pieces: [...pieces], result };
    };
    const [a, b] = await Promise.all([run("the old house"), run("the young tree")]);
    for (const { pieces, result } of [a, b]) assert.equal(pieces.join(""), result.text);
    assert.equal(a.result.tokens, 30);
    assert.equal(b.result.tokens, 30);
  });

  it("stops at maxTokens", async () => {
    for (const maxTokens of [1, 9]) {
      const result = await engine.complete({ prompt: "the old man", maxTokens, temperature: 0 });
      assert.equal(result.tokens, maxTokens);
      assert.equal(result.finishReason, "length");
    }
  });

  it("is reproducible: greedy always, and sampling with a seed", async () => {
    const greedy = () => engine.complete({ prompt: "a story about the sea", maxTokens: 20, temperature: 0 });
    assert.equal((await greedy()).text, (await greedy()).text);
    const sampled = () => engine.complete({ prompt: "a story about the sea", maxTokens: 20, temperature: 1, topK: 0, topP: 1, seed: 42 });
    assert.equal((await sampled()).text, (await sampled()).text);
  });

  it("stops before a stop string, which the text never contains, even across tokens", async () => {
    const reference = await engine.complete({ prompt: "we saw the river", maxTokens: 30, temperature: 0 });
    // A stop that spans the end of one word and the start of the next (a token boundary).
    const space = reference.text.indexOf(" ", 20);
    assert.ok(space > 0, `the reference has several words: ${reference.text}`);
    const stop = reference.text.slice(space - 2, space + 3);
    const pieces: string[] = [];
    const result = await engine.complete({ prompt: "we saw the river", maxTokens: 30, temperature: 0, stop: ["never written 123", stop], onToken: (p) => pieces.push(p) });
    assert.equal(result.finishReason, "stop");
    assert.equal(result.text, reference.text.slice(0, reference.text.indexOf(stop)));
    assert.equal(pieces.join(""), result.text);
    assert.ok(result.tokens < 30);

    // A stop that never comes: whatever was held back while it might have is given at the end.
    const unmatched = await engine.complete({ prompt: "we saw the river", maxTokens: 30, temperature: 0, stop: [`${stop}zzz`] });
    assert.equal(unmatched.finishReason, "length");
    assert.equal(unmatched.text, reference.text);
  });

  it("aborts at once with the partial text, and frees the sequence for the next request", async () => {
    const controller = new AbortController();
    const pieces: string[] = [];
    const result = await engine.complete({
      prompt: "the long night",
      maxTokens: 400,
      temperature: 0,
      signal: controller.signal,
      onToken: (p) => {
        pieces.push(p);
        if (pieces.length === 3) controller.abort();
      },
    });
    assert.equal(result.finishReason, "abort");
    assert.equal(result.text, pieces.join(""));
    assert.equal(pieces.length, 3);
    assert.ok(result.tokens < 400);

    const next = await engine.complete({ prompt: "the long night", maxTokens: 5, temperature: 0 });
    assert.equal(next.finishReason, "length");
    assert.ok(next.text.startsWith(result.text), "the same greedy text, from the start");
    assert.equal(pieces.length, 3, "nothing reaches an aborted request's onToken afterwards");
    assert.equal(engine.active, 0);
  });

  it("returns an already aborted request without running it", async () => {
    const result = await engine.complete({ prompt: "the sea", signal: AbortSignal.abort() });
    assert.equal(result.finishReason, "abort");
    assert.equal(result.text, "");
    assert.equal(result.tokens, 0);
    assert.equal(result.firstTokenMs, null);
  });

  it("runs requests up to its capacity together; the next ones wait, first come first served", async () => {
    const events: string[] = [];
    const run = (name: string, maxTokens: number, signal?: AbortSignal) =>
      engine
        .complete({ prompt: `the ${name}`, maxTokens, temperature: 0, signal, onToken: () => events.push(`${name} token`) })
        .then((result) => {
          events.push(`${name} done`);
          return result;
        });
    const waitingOne = new AbortController();
    // a ends well before b, so c (first in the queue) takes a's sequence while b still runs.
    const a = run("a", 20);
    const b = run("b", 60);
    const c = run("c", 10);
    const d = run("d", 10, waitingOne.signal);
    const e = run("e", 10);
    await tick();
    assert.equal(engine.active, 2);
    assert.equal(engine.waiting, 3);
    waitingOne.abort(); // a waiting request can leave the queue
    assert.equal((await d).finishReason, "abort");
    assert.equal(engine.waiting, 2);

    const results: GenerationResult[] = await Promise.all([a, b, c, e]);
    assert.deepEqual(results.map((r) => r.finishReason), ["length", "length", "length", "length"]);
    const first = (name: string) => events.indexOf(`${name} token`);
    const done = (name: string) => events.indexOf(`${name} done`);
    assert.ok(first("b") < done("a") && first("a") < done("b"), "a and b ran together");
    assert.ok(first("c") > done("a"), "c waited for a free sequence");
    assert.ok(first("e") > first("c"), "c, queued before e, started before e");
    assert.equal(engine.active, 0);
    assert.equal(engine.waiting, 0);
  });

  it("chats through the model's own template", async () => {
    const messages = [
      { role: "system" as const, content: "You are kind." },
      { role: "user" as const, content: "Tell me about the sea." },
    ];
    const prompt = engine.renderChat(messages);
    assert.match(prompt, /^<\|system\|>\nYou are kind\.<\/s> ?\n<\|user\|>\nTell me about the sea\.<\/s> ?\n<\|assistant\|>\n$/);
    const pieces: string[] = [];
    const result = await engine.chat({ messages, maxTokens: 10, temperature: 0, onToken: (p) => pieces.push(p) });
    assert.equal(result.finishReason, "length");
    assert.equal(result.tokens, 10);
    assert.equal(pieces.join(""), result.text);
    assert.ok(result.text.length > 0 && result.text === result.text.trimStart());
    assert.ok(result.promptTokens > engine.countTokens("You are kind. Tell me about the sea."));
  });

  it("refuses bad requests with a GenerationRequestError", async () => {
    const refused = (promise: Promise<unknown>, code: string) =>
      assert.rejects(promise, (error) => error instanceof GenerationRequestError && error.code === code);
    await refused(engine.complete({ prompt: "x", maxTokens: 0 }), "invalid_parameter");
    await refused(engine.complete({ prompt: "x", topP: 2 }), "invalid_parameter");
    await refused(engine.complete({ prompt: "" }), "invalid_parameter");
    await refused(engine.complete({ prompt: "the sea ".repeat(600) }), "prompt_too_long");
    await refused(engine.chat({ messages: [] }), "invalid_parameter");
    assert.equal(engine.active, 0);
  });
});

describe("generation engine lifecycle and fallbacks", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ns-llm-generation-life-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("starts a request on a used sequence while others generate, without waiting for them to end", async () => {
    const modelPath = path.join(dir, "demo-joining.gguf");
    await writeDemoLlama(modelPath);
    const engine = await createGenerationEngine({ modelPath, threads: 1, sequences: 3 });
    try {
      // Every sequence holds what an earlier request left.
      await Promise.all(["the old house", "the old tree", "the old road"].map((prompt) => engine.complete({ prompt, maxTokens: 8, temperature: 0 })));
      const events: string[] = [];
      let generating!: () => void;
      const started = new Promise<void>((resolve) => (generating = resolve));
      const long = ["the long road", "the long river"].map((prompt) =>
        engine.complete({ prompt, maxTokens: 300, temperature: 0, onToken: () => generating() }).then((r) => {
          events.push("long done");
          return r;
        }),
      );
      await started;
      // node-llama-cpp erases a sequence's old tokens under the lock that its batch loop holds
      // while sequences decode: a request that had to erase here would wait for both to end.
      await engine.complete({ prompt: "the short road", maxTokens: 4, temperature: 0 });
      events.push("short done");
      assert.deepEqual((await Promise.all(long)).map((r) => r.tokens), [300, 300]);
      assert.deepEqual(events, ["short done", "long done", "long done"]);
    } finally {
      await engine.dispose({ force: true });
    }
  });

  it("dispose waits for generations in flight, and refuses new ones", async () => {
    const modelPath = path.join(dir, "demo.gguf");
    await writeDemoLlama(modelPath);
    const engine = await createGenerationEngine({ modelPath, threads: 1, sequences: 1 });
    const running = engine.complete({ prompt: "the sea", maxTokens: 30, temperature: 0 });
    const queued = engine.complete({ prompt: "the land", maxTokens: 5, temperature: 0 });
    await tick();
    const disposed = engine.dispose();
    await assert.rejects(engine.complete({ prompt: "late" }), GenerationEngineDisposedError);
    assert.equal((await running).finishReason, "length");
    assert.equal((await queued).finishReason, "length");
    await disposed;
  });

  it("dispose({ force }) aborts what runs and what waits", async () => {
    const modelPath = path.join(dir, "demo.gguf");
    const engine = await createGenerationEngine({ modelPath, threads: 1, sequences: 1 });
    let started!: () => void;
    const firstToken = new Promise<void>((resolve) => (started = resolve));
    const running = engine.complete({ prompt: "the sea", maxTokens: 400, temperature: 0, onToken: () => started() });
    const queued = engine.complete({ prompt: "the land", maxTokens: 5 });
    await firstToken;
    await engine.dispose({ force: true });
    assert.equal((await running).finishReason, "abort");
    assert.equal((await queued).finishReason, "abort");
  });

  it("chats in a plain User:/Assistant: format when the model has no template", async () => {
    const modelPath = path.join(dir, "demo-no-template.gguf");
    await writeDemoLlama(modelPath, { chatTemplate: null });
    const engine = await createGenerationEngine({ modelPath, threads: 1, sequences: 1 });
    try {
      assert.equal(engine.info.hasChatTemplate, false);
      const messages = [
        { role: "system" as const, content: "Be brief." },
        { role: "user" as const, content: "Hi" },
        { role: "assistant" as const, content: "Hello." },
        { role: "user" as const, content: "Tell me more" },
      ];
      assert.equal(engine.renderChat(messages), "<s>Be brief.\n\nUser: Hi\nAssistant: Hello.\nUser: Tell me more\nAssistant:");
      const result = await engine.chat({ messages, maxTokens: 6, temperature: 0 });
      assert.equal(result.tokens, 6);
      assert.ok(result.text.length > 0);
    } finally {
      await engine.dispose();
    }
  });

  it("says which file it could not load", async () => {
    await assert.rejects(
      createGenerationEngine({ modelPath: path.join(dir, "missing.gguf"), threads: 1 }),
      /cannot load the generation model .*missing\.gguf/,
    );
  });
});
