/**
 * Opens an ONNX model on the CPU the way every ONNX role of the node runs it (embeddings, the
 * moderation classifier, the image encoder): one run at a time, `threads` intra-op threads, full
 * graph optimisation, and no stderr noise (a failure reaches the caller as an error naming `what`).
 *
 * Where it runs: onnxruntime-node's `run` is synchronous underneath (it resolves in a
 * `setImmediate`), so on the main thread every run freezes the event loop: with a real model a
 * toxicity check of one sentence (tens of ms for a BERT-base classifier) would stall every stream's
 * next token and every HTTP request. A model of at least WORKER_MIN_BYTES therefore runs in a
 * worker thread of its own (session-worker.ts) and the main thread only tokenizes and posts. A
 * smaller one (the demo models: kilobytes, runs of tens of microseconds) runs inline: a hand-off to
 * a thread and back costs about 0.25 ms on this project's 2-core VM, more than its whole run.
 */
import { existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { InferenceSession, Tensor } from "onnxruntime-node";

/** The tensor types the node's ONNX roles feed and read. */
export type OnnxTensor =
  | { type: "int64"; data: BigInt64Array; dims: readonly number[] }
  | { type: "float32"; data: Float32Array; dims: readonly number[] };

export type OnnxSession = {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs the graph; inputs are copied to the worker, outputs handed back (not copied). */
  run(feeds: Record<string, OnnxTensor>, outputs: readonly string[]): Promise<Record<string, OnnxTensor>>;
  /** Releases the session and ends its worker; runs still queued are refused. */
  release(): Promise<void>;
};

/** What goes to the worker, and what comes back (session-worker.ts answers in this shape). */
export type WorkerRequest = { id: number; feeds: Record<string, OnnxTensor>; outputs: readonly string[] } | { id: number; release: true };
export type RunReply = { id: number; ok: true; outputs?: Record<string, OnnxTensor> } | { id: number; ok: false; error: string };
export type WorkerReply = { ready: true; inputNames: string[]; outputNames: string[] } | { ready: false; error: string } | RunReply;

/** The sources run as .ts; the packages' bundle has it as onnx-session-worker.js beside its chunks (packaging/src/bundle.ts). */
const WORKER =
  [path.join(import.meta.dirname, "session-worker.ts"), path.join(import.meta.dirname, "onnx-session-worker.js")].find((file) => existsSync(file)) ??
  path.join(import.meta.dirname, "session-worker.ts");

/** Models of this size or more run in a worker thread (see above). */
export const WORKER_MIN_BYTES = 4 * 1024 * 1024;

/** The session options every ONNX role runs with (inline and in the worker alike). */
export function sessionOptions(threads: number): InferenceSession.SessionOptions {
  return { executionProviders: ["cpu"], intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: "sequential", graphOptimizationLevel: "all", logSeverityLevel: 4 };
}

/** `where`: "auto" decides by the model file's size; "worker" and "inline" force a place (tests, benchmarks). */
export async function openOnnxSession(modelPath: string, what: string, threads = 1, where: "auto" | "worker" | "inline" = "auto"): Promise<OnnxSession> {
  const inWorker = where === "worker" || (where === "auto" && (await stat(modelPath).then((s) => s.size >= WORKER_MIN_BYTES, () => false)));
  return inWorker ? openInWorker(modelPath, what, threads) : openInline(modelPath, what, threads);
}

async function openInline(modelPath: string, what: string, threads: number): Promise<OnnxSession> {
  let session: InferenceSession;
  try {
    session = await InferenceSession.create(modelPath, sessionOptions(threads));
  } catch (error) {
    throw new Error(`cannot load the ONNX ${what} ${modelPath}: ${(error as Error).message}`, { cause: error });
  }
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds, outputs) {
      const tensors = Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, new Tensor(t.type, t.data, [...t.dims])]));
      return toOnnxTensors(await session.run(tensors, [...outputs], { logSeverityLevel: 4 })).outputs;
    },
    release: () => session.release(),
  };
}

/** Copies onnxruntime's outputs into arrays the caller owns (and releases onnxruntime's). */
export function toOnnxTensors(results: InferenceSession.ReturnType): { outputs: Record<string, OnnxTensor>; buffers: ArrayBuffer[] } {
  const outputs: Record<string, OnnxTensor> = {};
  const buffers: ArrayBuffer[] = [];
  try {
    for (const [name, t] of Object.entries(results)) {
      if (t.type !== "float32" && t.type !== "int64") throw new Error(`output ${name} is ${t.type}; the node reads float32 or int64`);
      const data = t.type === "float32" ? new Float32Array(t.data as Float32Array) : new BigInt64Array(t.data as BigInt64Array);
      outputs[name] = { type: t.type, data, dims: [...t.dims] } as OnnxTensor;
      buffers.push(data.buffer as ArrayBuffer);
    }
  } finally {
    for (const t of Object.values(results)) t.dispose();
  }
  return { outputs, buffers };
}

async function openInWorker(modelPath: string, what: string, threads: number): Promise<OnnxSession> {
  const worker = new Worker(WORKER, { workerData: { modelPath, threads }, stdout: false, stderr: false });
  const pending = new Map<number, { resolve: (r: RunReply) => void; reject: (e: Error) => void }>();
  let next = 0;
  let gone: Error | undefined;

  const fail = (error: Error) => {
    gone ??= error;
    for (const p of pending.values()) p.reject(gone);
    pending.clear();
  };
  // While a run is waiting, its worker keeps the process alive; an idle one does not.
  const ref = () => (pending.size > 0 ? worker.ref() : worker.unref());

  const names = await new Promise<{ inputNames: string[]; outputNames: string[] }>((resolve, reject) => {
    const onMessage = (m: WorkerReply) => done(() => ("ready" in m && m.ready ? resolve(m) : reject(new Error(`cannot load the ONNX ${what} ${modelPath}: ${"error" in m ? m.error : "no answer"}`))));
    const onError = (error: Error) => done(() => reject(new Error(`cannot load the ONNX ${what} ${modelPath}: ${error.message}`, { cause: error })));
    const onExit = (code: number) => done(() => reject(new Error(`cannot load the ONNX ${what} ${modelPath}: its worker exited with code ${code}`)));
    const done = (settle: () => void) => {
      worker.off("message", onMessage).off("error", onError).off("exit", onExit);
      settle();
    };
    worker.on("message", onMessage).on("error", onError).on("exit", onExit);
  }).catch(async (error: Error) => {
    await worker.terminate();
    throw error;
  });
  worker.on("message", (m: WorkerReply) => {
    if ("ready" in m) return;
    const p = pending.get(m.id);
    pending.delete(m.id);
    ref();
    p?.resolve(m);
  });
  worker.on("error", (error) => fail(new Error(`the ONNX ${what} ${modelPath} failed: ${error.message}`, { cause: error })));
  worker.on("exit", () => fail(new Error(`the ONNX ${what} ${modelPath} was released`)));
  worker.unref();

  const call = (request: WorkerRequest): Promise<RunReply> =>
    new Promise((resolve, reject) => {
      if (gone) return reject(gone);
      pending.set(request.id, { resolve, reject });
      ref();
      worker.postMessage(request);
    });

  return {
    inputNames: names.inputNames,
    outputNames: names.outputNames,
    async run(feeds, outputs) {
      const reply = await call({ id: next++, feeds, outputs });
      if (!reply.ok) throw new Error(reply.error);
      return reply.outputs ?? {};
    },
    async release() {
      if (gone) return;
      await call({ id: next++, release: true }).catch(() => {});
      worker.ref(); // an unref'd worker's exit would not keep the loop alive for terminate()'s promise
      await worker.terminate();
    },
  };
}
