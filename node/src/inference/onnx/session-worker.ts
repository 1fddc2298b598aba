/**
 * The worker thread behind one ONNX session (session.ts): loads the model with the node's session
 * options, answers runs one at a time, and hands outputs back without copying them.
 */
import { parentPort, workerData } from "node:worker_threads";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { sessionOptions, toOnnxTensors, type WorkerReply, type WorkerRequest } from "./session.ts";

const port = parentPort!;
const { modelPath, threads } = workerData as { modelPath: string; threads: number };
const reply = (m: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

let session: InferenceSession;
try {
  session = await InferenceSession.create(modelPath, sessionOptions(threads));
  reply({ ready: true, inputNames: [...session.inputNames], outputNames: [...session.outputNames] });
} catch (error) {
  reply({ ready: false, error: (error as Error).message });
  process.exit(0);
}

port.on("message", async (m: WorkerRequest) => {
  if ("release" in m) {
    await session.release().catch(() => {});
    reply({ id: m.id, ok: true });
    return;
  }
  try {
    const feeds = Object.fromEntries(Object.entries(m.feeds).map(([name, t]) => [name, new Tensor(t.type, t.data, [...t.dims])]));
    // Outputs are copied into arrays this worker owns, then moved (not copied) to the main thread.
    const { outputs, buffers } = toOnnxTensors(await session.run(feeds, [...m.outputs], { logSeverityLevel: 4 }));
    reply({ id: m.id, ok: true, outputs }, buffers);
  } catch (error) {
    reply({ id: m.id, ok: false, error: (error as Error).message });
  }
});
