/**
 * Refuses to load a model that would not fit: free memory must cover the model's files times a
 * factor (weights plus context, KV cache and runtime buffers). Loading past the machine's memory
 * would get the whole node killed; a clear error leaves the current model serving.
 */
import os from "node:os";
import { stat } from "node:fs/promises";
import { NsLlmError } from "../errors.ts";

/** Free memory is short for a model; the message says how much is needed and what is free. */
export class InsufficientMemoryError extends NsLlmError<"insufficient_memory"> {
  readonly neededBytes: number;
  readonly freeBytes: number;
  constructor(what: string, neededBytes: number, freeBytes: number) {
    // Not transient: the model is refused once, clearly, rather than retried while it cannot fit.
    super("insufficient_memory", `not enough free memory to load ${what}: needs about ${mib(neededBytes)} MiB, ${mib(freeBytes)} MiB free`, {
      hint: "free memory, or adopt a smaller model",
    });
    this.neededBytes = neededBytes;
    this.freeBytes = freeBytes;
  }
}

export type AssertMemoryForParameters = {
  /** The model's files (their total size is what gets loaded). */
  files: string[];
  /** Needed = total size x factor. Default 1.5. */
  factor?: number;
  /** Free memory now; default os.freemem() (MemAvailable on Linux). */
  freeBytes?: number;
  /** Names the model in the error. */
  what?: string;
};

/** Throws InsufficientMemoryError when `files` x `factor` exceeds the free memory. */
export async function assertMemoryFor({ files, factor = 1.5, freeBytes = os.freemem(), what }: AssertMemoryForParameters): Promise<{ neededBytes: number; freeBytes: number }> {
  let total = 0;
  for (const f of files) total += (await stat(f)).size;
  const neededBytes = Math.ceil(total * factor);
  if (neededBytes > freeBytes) throw new InsufficientMemoryError(what ?? files.join(", "), neededBytes, freeBytes);
  return { neededBytes, freeBytes };
}

function mib(bytes: number): number {
  return Math.ceil(bytes / 1024 ** 2);
}
