/**
 * Room for a download: the store's quota (NS_LLM_MAX_STORE_BYTES: verified blobs and partial
 * files together) and the disk's free space (fs.statfs, keeping NS_LLM_MIN_FREE_BYTES free for
 * the database, the audit log and the rest of the machine). Checked before every download, so a
 * vote for a model larger than the disk fails at once with a clear reason instead of filling it.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { NsLlmError } from "../../errors.ts";
import { formatSize } from "./format-size.ts";
import type { StoreLayout } from "./layout.ts";

export type StoreLimits = {
  /** Blobs + partial files may not exceed this many bytes. No quota when unset. */
  maxStoreBytes?: number;
  /** Free bytes the disk must keep after the download. Default 0. */
  minFreeBytes?: number;
};

export class StoreFullError extends NsLlmError<"store_full"> {
  constructor(message: string) {
    super("store_full", message, { hint: "free space with `ns-llm gc`, or raise NS_LLM_MAX_STORE_BYTES" });
  }
}

/** Bytes under `dir` (not recursive): the store's blobs or parts. */
export async function folderBytes(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
  let total = 0;
  for (const name of names) {
    const stat = await fs.stat(path.join(dir, name)).catch(() => undefined);
    if (stat?.isFile()) total += stat.size;
  }
  return total;
}

/** What the store holds now: verified blobs and partial downloads. */
export async function storeBytes(layout: StoreLayout): Promise<number> {
  return (await folderBytes(layout.blobs)) + (await folderBytes(layout.tmp));
}

/** Throws StoreFullError unless `need` more bytes fit the quota and the disk. */
export async function checkSpace(layout: StoreLayout, need: number, limits: StoreLimits): Promise<void> {
  if (need <= 0) return;
  if (limits.maxStoreBytes !== undefined) {
    const used = await storeBytes(layout);
    if (used + need > limits.maxStoreBytes) {
      throw new StoreFullError(`${formatSize(need)} more would take the model store to ${formatSize(used + need)}, above its quota of ${formatSize(limits.maxStoreBytes)} (NS_LLM_MAX_STORE_BYTES)`);
    }
  }
  const stat = await fs.statfs(layout.root);
  const free = stat.bavail * stat.bsize;
  const reserve = limits.minFreeBytes ?? 0;
  if (free - need < reserve) {
    throw new StoreFullError(`the disk holding ${layout.root} has ${formatSize(free)} free; ${formatSize(need)} more would leave less than ${formatSize(reserve)} (NS_LLM_MIN_FREE_BYTES)`);
  }
}
