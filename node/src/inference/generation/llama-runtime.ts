/**
 * The process's one llama.cpp runtime. Loading the native binding takes about half a second and
 * every model can share it, so it is loaded once, on first use. `build: "never"`: a missing
 * prebuilt binary is an error now, not a compile from source. A GPU is used when one works, else
 * the CPU.
 */
import { getLlama, type Llama } from "node-llama-cpp";

let shared: Promise<Llama> | undefined;

/** The shared runtime; a failed load is not cached, so a later call tries again. */
export function getSharedLlama(): Promise<Llama> {
  shared ??= loadLlama().catch((error: unknown) => {
    shared = undefined;
    throw error;
  });
  return shared;
}

async function loadLlama(): Promise<Llama> {
  try {
    return await getLlama({ build: "never", gpu: "auto" });
  } catch (gpuError) {
    try {
      return await getLlama({ build: "never", gpu: false });
    } catch (cpuError) {
      throw new Error(
        `cannot load llama.cpp (node-llama-cpp's prebuilt binaries): ${message(cpuError)} (reinstall node-llama-cpp so that its @node-llama-cpp/* binary package for this platform is present)`,
        { cause: [gpuError, cpuError] },
      );
    }
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
