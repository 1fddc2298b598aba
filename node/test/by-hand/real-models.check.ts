/**
 * Checks against the real small models a developer may have by hand (never in the project, never
 * needed by `npm test`): the real all-MiniLM-L6-v2 tokenizer and the real stories260K GGUF. Run
 * with `npm run check:real-models` (folder: NS_LLM_REAL_MODELS, default ../shared/models beside the
 * checkout). A missing file fails with where it was looked for; it is not skipped.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { loadWordPiece } from "../../src/inference/embedding/index.ts";
import { createGenerationEngine } from "../../src/inference/generation/index.ts";

const folder = path.resolve(process.env.NS_LLM_REAL_MODELS ?? path.join(import.meta.dirname, "../../../../shared/models"));
const need = (name: string): string => {
  const file = path.join(folder, name);
  assert.ok(existsSync(file), `${file} is absent: set NS_LLM_REAL_MODELS to the folder holding the real models`);
  return file;
};

// Every expected id was looked up by hand in bert-base-uncased's vocab.txt.
describe("WordPiece on all-MiniLM-L6-v2's real vocabulary", () => {
  const cases: [string, number[]][] = [
    ["Hello, world!", [101, 7592, 1010, 2088, 999, 102]],
    ["Café résumé", [101, 7668, 13746, 102]],
    ["naïve façade Über", [101, 15743, 8508, 19169, 102]],
    ["unbelievably tokenization", [101, 4895, 8671, 2666, 3567, 6321, 19204, 3989, 102]], // un ##bel ##ie ##va ##bly token ##ization
    ["I love 😀 pizza", [101, 1045, 2293, 100, 10733, 102]],
    ["你好世界", [101, 100, 100, 1745, 100, 102]], // 你 好 界 are not in the vocab, 世 is 1745
    ["", [101, 102]],
    ["The quick brown fox jumps over the lazy dog.", [101, 1996, 4248, 2829, 4419, 14523, 2058, 1996, 13971, 3899, 1012, 102]],
    ["don't stop-believing 3.14 $100", [101, 2123, 1005, 1056, 2644, 1011, 8929, 1017, 1012, 2403, 1002, 2531, 102]],
    ["hello [SEP] world", [101, 7592, 102, 2088, 102]],
  ];

  for (const file of ["vocab.txt", "tokenizer.json"]) {
    it(`matches BertTokenizer's ids (${file})`, async () => {
      const tok = await loadWordPiece({ path: need(path.join("all-MiniLM-L6-v2-tokenizer", file)) });
      assert.equal(tok.vocabSize, 30522);
      for (const [text, expected] of cases) assert.deepEqual(tok.encode(text), expected, text);
    });
  }

  it("truncates to tokenizer.json's 256 tokens", async () => {
    const tok = await loadWordPiece({ path: need("all-MiniLM-L6-v2-tokenizer/tokenizer.json") });
    assert.equal(tok.maxLength, 256);
    const ids = tok.encode("hello ".repeat(300));
    assert.equal(ids.length, 256);
    assert.deepEqual([ids[0], ids[1], ids[254], ids[255]], [101, 7592, 7592, 102]);
  });
});

describe("generation on the real stories260K model", () => {
  it("continues a story with real words", async () => {
    const engine = await createGenerationEngine({ modelPath: need("stories260K.gguf"), threads: 1, sequences: 1 });
    try {
      assert.equal(engine.info.hasChatTemplate, false);
      const result = await engine.complete({ prompt: "Once upon a time", maxTokens: 40, temperature: 0, stop: ["little girl"] });
      assert.match(result.text, /\bthere was\b/);
      assert.equal(result.finishReason, "stop", "node-llama-cpp's own stop triggers miss this one");
    } finally {
      await engine.dispose();
    }
  });
});
