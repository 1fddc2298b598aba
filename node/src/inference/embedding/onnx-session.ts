/**
 * Opens an ONNX model on the CPU the way every ONNX role of the node runs it (embeddings, the
 * moderation classifier, the image encoder): one run at a time, `threads` intra-op threads, full
 * graph optimisation, and no stderr noise (a failure reaches the caller as an error naming `what`).
 */
import { InferenceSession } from "onnxruntime-node";

export async function openOnnxSession(modelPath: string, what: string, threads = 1): Promise<InferenceSession> {
  try {
    return await InferenceSession.create(modelPath, {
      executionProviders: ["cpu"],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: "all",
      logSeverityLevel: 4,
    });
  } catch (error) {
    throw new Error(`cannot load the ONNX ${what} ${modelPath}: ${(error as Error).message}`, { cause: error });
  }
}
