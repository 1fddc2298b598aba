import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { writeDemoBert } from "../src/demo/demo-bert.ts";
import { demoVocab } from "../src/demo/demo-vocab.ts";
import { createWordPiece, loadWordPiece, type WordPieceTokenizer } from "../src/inference/embedding/index.ts";

describe("WordPiece on the demo vocabulary", () => {
  let dir: string;
  let tok: WordPieceTokenizer;
  const id = (token: string) => {
    const i = demoVocab.indexOf(token);
    assert.ok(i >= 0, `${token} is in the demo vocab`);
    return i;
  };
  const ids = (...tokens: string[]) => tokens.map(id);

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ns-llm-wordpiece-"));
    const { vocab } = await writeDemoBert(dir);
    tok = await loadWordPiece({ path: vocab, maxLength: 16 });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("reads vocab.txt with ids by line", () => {
    assert.equal(tok.vocabSize, demoVocab.length);
    assert.equal(tok.idToToken(0), "[PAD]");
    assert.equal(tok.idToToken(2), "[CLS]");
    assert.equal(tok.idToToken(id("hello")), "hello");
  });

  it("splits punctuation and wraps in [CLS] ... [SEP]", () => {
    assert.deepEqual(tok.tokenize("Hello, world!"), ["hello", ",", "world", "!"]);
    assert.deepEqual(tok.encode("Hello, world!"), ids("[CLS]", "hello", ",", "world", "!", "[SEP]"));
  });

  it("splits words greedily, longest piece first, with ##", () => {
    assert.deepEqual(tok.tokenize("learning models quickly"), ["learn", "##ing", "model", "##s", "quick", "##ly"]);
    assert.deepEqual(tok.tokenize("xyzzy"), ["x", "##y", "##z", "##z", "##y"]);
    assert.deepEqual(tok.tokenize("2024"), ["2", "##0", "##2", "##4"]);
  });

  it("lower-cases and strips accents", () => {
    assert.deepEqual(tok.tokenize("CAFÉ Résumé naïve"), ["cafe", "resume", "n", "##a", "##ive"]);
  });

  it("counts ASCII symbols as punctuation, as BERT does", () => {
    assert.deepEqual(tok.tokenize("a+b=c $5 ~x|y^z `q`"), ["a", "+", "b", "=", "c", "$", "5", "~", "x", "|", "y", "^", "z", "`", "q", "`"]);
    assert.deepEqual(tok.tokenize("«quoted» — ok…"), ["[UNK]", "q", "##u", "##o", "##t", "##ed", "[UNK]", "[UNK]", "o", "##k", "[UNK]"]);
  });

  it("gives [UNK] for a word with an unknown character, and for a word over 100 characters", () => {
    assert.deepEqual(tok.tokenize("hello 😀 world"), ["hello", "[UNK]", "world"]);
    assert.deepEqual(tok.tokenize("hello😀"), ["[UNK]"]); // the whole word, as BERT does
    assert.deepEqual(tok.tokenize("a".repeat(100)), ["a", ...Array<string>(99).fill("##a")]);
    assert.deepEqual(tok.tokenize("a".repeat(101)), ["[UNK]"]);
  });

  it("isolates CJK ideographs", () => {
    assert.deepEqual(tok.tokenize("hi你好world"), ["hi", "[UNK]", "[UNK]", "world"]);
  });

  it("drops control characters and treats any whitespace as a separator", () => {
    // U+000C is a control character to BERT (category Cc): dropped, it does not separate.
    assert.deepEqual(tok.tokenize("a\u0000b\u200bc\tday\u00a0one\u2028two\r\nthree\u000cfour"), ["abc", "day", "one", "two", "threefour"].flatMap((w) => tok.tokenize(w)));
    assert.deepEqual(tok.tokenize("  \t\n "), []);
  });

  it("keeps special tokens written in the text", () => {
    assert.deepEqual(tok.encode("hello [SEP] world"), ids("[CLS]", "hello", "[SEP]", "world", "[SEP]"));
    assert.deepEqual(tok.tokenize("[sep]"), ["[", "s", "##e", "##p", "]"]); // lower-case is not special
  });

  it("encodes the empty string as [CLS] [SEP]", () => {
    assert.deepEqual(tok.encode(""), [2, 3]);
  });

  it("truncates to maxLength, keeping [SEP] last", () => {
    const encoded = tok.encode("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen");
    assert.equal(encoded.length, 16);
    assert.equal(encoded[0], id("[CLS]"));
    assert.equal(encoded.at(-1), id("[SEP]"));
    assert.deepEqual(encoded.slice(1, 4), ids("one", "two", "three"));
  });

  it("pads a batch to its longest text, with attention mask and token type ids", () => {
    const batch = tok.encodeBatch(["hello world", "hi", ""]);
    assert.equal(batch.batchSize, 3);
    assert.equal(batch.sequenceLength, 4);
    assert.deepEqual(batch.lengths, [4, 3, 2]);
    assert.ok(batch.inputIds instanceof BigInt64Array);
    assert.deepEqual(Array.from(batch.inputIds, Number), [...ids("[CLS]", "hello", "world", "[SEP]"), ...ids("[CLS]", "hi", "[SEP]"), 0, 2, 3, 0, 0]);
    assert.deepEqual(Array.from(batch.attentionMask, Number), [1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 0]);
    assert.deepEqual(Array.from(batch.tokenTypeIds, Number), Array(12).fill(0));
  });

  it("reads a HF tokenizer.json with the same result as vocab.txt", async () => {
    const file = path.join(dir, "tokenizer.json");
    await writeFile(file, JSON.stringify({
      truncation: { max_length: 16 },
      added_tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].map((content, i) => ({ id: i, content, special: true })),
      normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
      pre_tokenizer: { type: "BertPreTokenizer" },
      post_processor: { type: "BertProcessing", sep: ["[SEP]", 3], cls: ["[CLS]", 2] },
      model: { type: "WordPiece", unk_token: "[UNK]", continuing_subword_prefix: "##", max_input_chars_per_word: 100, vocab: Object.fromEntries(demoVocab.map((t, i) => [t, i])) },
    }));
    const fromJson = await loadWordPiece({ path: file });
    assert.equal(fromJson.maxLength, 16);
    for (const text of ["Hello, world!", "CAFÉ learning 😀 你好", "", "hello [SEP] world", "x ".repeat(40)]) {
      assert.deepEqual(fromJson.encode(text), tok.encode(text), text);
    }
  });

  it("supports a cased vocabulary (no lower-casing, accents kept)", () => {
    const cased = createWordPiece({ vocab: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "Hello", "hello", "é", "##é"], lowerCase: false });
    assert.deepEqual(cased.tokenize("Hello hello é"), ["Hello", "hello", "é"]);
  });

  it("refuses what it cannot work with, naming the file", async () => {
    await assert.rejects(loadWordPiece({ path: path.join(dir, "missing.txt") }), /missing\.txt/);
    const bpe = path.join(dir, "bpe.json");
    await writeFile(bpe, JSON.stringify({ model: { type: "BPE", vocab: {} } }));
    await assert.rejects(loadWordPiece({ path: bpe }), /bpe\.json.*only WordPiece/);
    assert.throws(() => createWordPiece({ vocab: ["[PAD]", "[CLS]", "[SEP]"] }), /no \[UNK\] token/);
    assert.throws(() => createWordPiece({ vocab: demoVocab, maxLength: 1 }), /maxLength/);
  });
});
