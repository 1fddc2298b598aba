import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { DEMO_BERT_HIDDEN, DEMO_BERT_MAX_LENGTH, writeDemoBert } from "../src/demo/demo-bert.ts";

const sha256 = async (file: string) => createHash("sha256").update(await readFile(file)).digest("hex");

describe("demo BERT writer", () => {
  let dir: string;
  let first: { model: string; vocab: string };
  let session: InferenceSession;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ns-llm-demo-bert-"));
    first = await writeDemoBert(path.join(dir, "a"));
    session = await InferenceSession.create(first.model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  });
  after(async () => {
    await session?.release();
    await rm(dir, { recursive: true, force: true });
  });

  it("writes the same bytes every time", async () => {
    const second = await writeDemoBert(path.join(dir, "b"));
    assert.equal(await sha256(first.model), await sha256(second.model));
    assert.equal(await sha256(first.vocab), await sha256(second.vocab));
  });

  it("writes a vocab.txt with BERT's special tokens first and no duplicates", async () => {
    const lines = (await readFile(first.vocab, "utf8")).split("\n");
    assert.equal(lines.pop(), "", "ends with a newline");
    assert.deepEqual(lines.slice(0, 5), ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]);
    assert.equal(new Set(lines).size, lines.length);
    for (const token of ["hello", "world", ",", "!", "a", "##a", "##ing", "##s", "0", "##9"]) {
      assert.ok(lines.includes(token), token);
    }
  });

  it("has all-MiniLM-L6-v2's inputs and output", () => {
    assert.deepEqual(session.inputNames, ["input_ids", "attention_mask", "token_type_ids"]);
    assert.deepEqual(session.outputNames, ["last_hidden_state"]);
    const out = session.outputMetadata[0]!;
    assert.ok(out.isTensor);
    assert.equal(out.type, "float32");
    assert.deepEqual(out.shape, ["batch_size", "sequence_length", DEMO_BERT_HIDDEN]);
  });

  it("gives [batch, seq, hidden] and ignores padding (real attention with the mask)", async () => {
    const run = async (ids: number[][], mask: number[][]) => {
      const shape = [ids.length, ids[0]!.length];
      const t = (rows: number[][]) => new Tensor("int64", BigInt64Array.from(rows.flat(), BigInt), shape);
      const out = await session.run({
        input_ids: t(ids),
        attention_mask: t(mask),
        token_type_ids: t(ids.map((r) => r.map(() => 0))),
      });
      return out.last_hidden_state!;
    };
    const alone = await run([[2, 50, 60, 3]], [[1, 1, 1, 1]]);
    assert.deepEqual(alone.dims, [1, 4, DEMO_BERT_HIDDEN]);
    const padded = await run(
      [
        [2, 50, 60, 3, 0, 0, 0],
        [2, 70, 71, 72, 73, 74, 3],
      ],
      [
        [1, 1, 1, 1, 0, 0, 0],
        [1, 1, 1, 1, 1, 1, 1],
      ],
    );
    assert.deepEqual(padded.dims, [2, 7, DEMO_BERT_HIDDEN]);
    const a = alone.data as Float32Array;
    const b = padded.data as Float32Array;
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-5, `token value ${i}`);
    // A token's vector depends on its neighbours: attention really mixes the sequence.
    const other = await run([[2, 50, 61, 3]], [[1, 1, 1, 1]]);
    assert.notDeepEqual(Array.from((other.data as Float32Array).slice(0, 32)), Array.from(a.slice(0, 32)));
  });

  it(`takes sequences up to ${DEMO_BERT_MAX_LENGTH} tokens`, async () => {
    const n = DEMO_BERT_MAX_LENGTH;
    const ids = new BigInt64Array(n).fill(10n);
    const out = await session.run({
      input_ids: new Tensor("int64", ids, [1, n]),
      attention_mask: new Tensor("int64", new BigInt64Array(n).fill(1n), [1, n]),
      token_type_ids: new Tensor("int64", new BigInt64Array(n), [1, n]),
    });
    assert.deepEqual(out.last_hidden_state!.dims, [1, n, DEMO_BERT_HIDDEN]);
    assert.ok((out.last_hidden_state!.data as Float32Array).every(Number.isFinite));
  });
});
