/** The local search: BM25 ranking, hybrid with embeddings, the docs corpus, degraded answers. */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { writeDemoBert } from "../src/demo/demo-bert.ts";
import { createEmbeddingEngine } from "../src/inference/embedding/index.ts";
import { answerFromSearch, createSearchIndex, loadDocuments, markdownSections } from "../src/search/index.ts";

const docs = [
  { id: "cats", text: "Cats are small furry animals that purr and chase mice." },
  { id: "dogs", text: "Dogs bark, fetch sticks and guard the house." },
  { id: "gov", title: "Governance", text: "Token holders vote on proposals that adopt a model manifest." },
];

describe("search", () => {
  it("ranks by BM25, best first, scores in (0, 1]", async () => {
    const index = createSearchIndex(docs);
    const results = await index.search("which animals purr?", 3);
    assert.equal(results[0]!.id, "cats");
    assert.equal(results[0]!.score, 1);
    for (const r of results) assert.ok(r.score > 0 && r.score <= 1);
    assert.equal((await index.search("vote on a manifest", 1))[0]!.id, "gov");
    assert.deepEqual(await index.search("zzzz", 3), []);
    assert.deepEqual(await index.search("", 3), []);
  });

  it("mixes in embedding similarity when an encoder is ready, and falls back to BM25 when it fails", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ns-llm-search-"));
    try {
      const files = await writeDemoBert(dir);
      const engine = await createEmbeddingEngine({ model: files.model, tokenizer: files.vocab, threads: 1 });
      let calls = 0;
      const hybrid = createSearchIndex(docs, { embed: (t) => (calls++, engine.embed(t)), embedModel: () => "demo" });
      const results = await hybrid.search("cats purr", 3);
      assert.equal(results.length, 3, "with embeddings every document gets a score");
      assert.equal(results[0]!.id, "cats");
      assert.equal(calls, 2, "documents once, then the query");
      await hybrid.search("dogs", 3);
      assert.equal(calls, 3, "document vectors are kept");

      const errors: unknown[] = [];
      const failing = createSearchIndex(docs, { embed: async () => { throw new Error("engine gone"); }, onEmbedError: (e) => errors.push(e) });
      assert.equal((await failing.search("dogs bark", 1))[0]!.id, "dogs");
      assert.equal(errors.length, 1);

      const notReady = createSearchIndex(docs, { embed: () => assert.fail("not called"), embedModel: () => undefined });
      assert.equal((await notReady.search("dogs", 1))[0]!.id, "dogs");
      await engine.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("cuts Markdown into sections and loads the node's docs corpus", async () => {
    const sections = markdownSections("a.md", "# Title\nintro\n\n## Part one\nbody one\n## Part two\nbody two\n");
    assert.deepEqual(sections.map((s) => s.id), ["a.md#title", "a.md#part-one", "a.md#part-two"]);
    assert.equal(sections[1]!.title, "Part one");
    const corpus = await loadDocuments();
    assert.ok(corpus.length >= 10);
    assert.equal(new Set(corpus.map((d) => d.id)).size, corpus.length);
    assert.ok(corpus.some((d) => d.id.startsWith("api.md#")));
  });

  it("quotes the best passages in a degraded answer", () => {
    assert.match(answerFromSearch([{ id: "x", title: "X", text: "the passage", score: 1 }]), /\[X\] the passage/);
    assert.match(answerFromSearch([]), /nothing on this question/);
  });
});
