import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { writeDemoBert } from "../src/demo/demo-bert.ts";
import { openOnnxSession, type OnnxSession, type OnnxTensor } from "../src/inference/onnx/session.ts";

// An ONNX session runs inline for a small model and in a worker thread for a real-sized one
// (session.ts); the demo model is small, so the worker is asked for by name here.
describe("ONNX sessions, inline and in a worker thread", () => {
  let dir: string;
  let model: string;
  const feeds = (ids: bigint[]): Record<string, OnnxTensor> => {
    const dims = [1, ids.length];
    return {
      input_ids: { type: "int64", data: BigInt64Array.from(ids), dims },
      attention_mask: { type: "int64", data: new BigInt64Array(ids.length).fill(1n), dims },
      token_type_ids: { type: "int64", data: new BigInt64Array(ids.length), dims },
    };
  };
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ns-llm-onnx-session-"));
    ({ model } = await writeDemoBert(dir));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("gives the same outputs in a worker as inline, and the caller's inputs stay usable", async () => {
    const sessions: OnnxSession[] = [await openOnnxSession(model, "test model", 1, "inline"), await openOnnxSession(model, "test model", 1, "worker")];
    try {
      for (const s of sessions) assert.deepEqual([s.inputNames, s.outputNames], [["input_ids", "attention_mask", "token_type_ids"], ["last_hidden_state"]]);
      const input = feeds([101n, 203n, 303n, 102n]);
      const [inline, worker] = await Promise.all(sessions.map((s) => s.run(input, ["last_hidden_state"])));
      assert.equal(worker!.last_hidden_state!.type, "float32");
      assert.deepEqual(worker!.last_hidden_state!.dims, inline!.last_hidden_state!.dims);
      assert.deepEqual(worker!.last_hidden_state!.data, inline!.last_hidden_state!.data);
      assert.deepEqual([...input.input_ids!.data], [101n, 203n, 303n, 102n], "inputs are copied to the worker, not moved");
      // Concurrent runs on one worker session each get their own answer.
      const many = await Promise.all([1n, 2n, 3n].map((id) => sessions[1]!.run(feeds([101n, id, 102n]), ["last_hidden_state"])));
      const alone = await Promise.all([1n, 2n, 3n].map((id) => sessions[0]!.run(feeds([101n, id, 102n]), ["last_hidden_state"])));
      many.forEach((m, i) => assert.deepEqual(m.last_hidden_state!.data, alone[i]!.last_hidden_state!.data));
    } finally {
      await Promise.all(sessions.map((s) => s.release()));
    }
  });

  it("a bad run is refused with onnxruntime's reason and the worker goes on serving", async () => {
    const s = await openOnnxSession(model, "test model", 1, "worker");
    try {
      await assert.rejects(s.run({ input_ids: { type: "int64", data: new BigInt64Array(3), dims: [1, 3] } }, ["last_hidden_state"]), /attention_mask|input/i);
      const ok = await s.run(feeds([101n, 102n]), ["last_hidden_state"]);
      assert.equal(ok.last_hidden_state!.dims[1], 2);
    } finally {
      await s.release();
    }
  });

  it("a missing or broken model fails to open with a message naming it, in both places", async () => {
    const broken = path.join(dir, "broken.onnx");
    await writeFile(broken, "not a model");
    for (const where of ["inline", "worker"] as const) {
      await assert.rejects(openOnnxSession(path.join(dir, "missing.onnx"), "classifier", 1, where), /cannot load the ONNX classifier .*missing\.onnx/);
      await assert.rejects(openOnnxSession(broken, "classifier", 1, where), /cannot load the ONNX classifier .*broken\.onnx/);
    }
  });

  it("after release a run is refused, not left waiting", async () => {
    const s = await openOnnxSession(model, "test model", 1, "worker");
    await s.release();
    await assert.rejects(s.run(feeds([101n, 102n]), ["last_hidden_state"]), /released/);
  });

  it("an idle worker session does not keep a process alive (a CLI command ends when its work does)", async () => {
    const script = `
      import { openOnnxSession } from ${JSON.stringify(path.resolve(import.meta.dirname, "../src/inference/onnx/session.ts"))};
      const s = await openOnnxSession(${JSON.stringify(model)}, "test model", 1, "worker");
      const out = await s.run({ input_ids: { type: "int64", data: new BigInt64Array([101n, 102n]), dims: [1, 2] },
        attention_mask: { type: "int64", data: new BigInt64Array([1n, 1n]), dims: [1, 2] },
        token_type_ids: { type: "int64", data: new BigInt64Array(2), dims: [1, 2] } }, ["last_hidden_state"]);
      console.log(out.last_hidden_state.dims.join("x"));`;
    const file = path.join(dir, "idle.mjs");
    await writeFile(file, script);
    const r = spawnSync(process.execPath, [file], { encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^1x2x\d+$/m);
  });
});
