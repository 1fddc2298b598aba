/**
 * Garbage collection of the embedded repo's blocks (Kubo's flatfs layout under `blocks/`, one
 * `<base32 multihash>.data` file per block): everything reachable from the kept roots stays (the
 * applied and pending manifests and their artifacts' ipfs:// sources), so does any block younger
 * than the grace period (an upload whose proposal is still being written); the rest goes.
 * Reading links needs only dag-pb (UnixFS files and folders); raw leaves have none.
 */
import fs from "node:fs/promises";
import path from "node:path";
import * as dagPb from "@ipld/dag-pb";
import { base32upper } from "multiformats/bases/base32";
import { CID } from "multiformats/cid";

export type BlockGcOptions = { graceMs: number; dryRun?: boolean };
export type BlockGcReturnType = { dryRun: boolean; blocks: number; bytes: number; kept: number };

const EXTENSION = ".data";

/** The file name FsBlockstore's default sharding (NextToLast) gives a block. */
function blockFile(cid: CID): { dir: string; file: string } {
  const name = base32upper.encoder.encode(cid.multihash.bytes);
  return { dir: name.slice(-2), file: `${name}${EXTENSION}` };
}

export async function collectBlocks(blocksDir: string, roots: Iterable<string>, options: BlockGcOptions): Promise<BlockGcReturnType> {
  const reachable = new Set<string>();
  const queue: CID[] = [];
  for (const root of roots) {
    try {
      queue.push(CID.parse(root));
    } catch {
      // not a CID: nothing to keep
    }
  }
  while (queue.length > 0) {
    const cid = queue.pop()!;
    const { dir, file } = blockFile(cid);
    if (reachable.has(file)) continue;
    reachable.add(file);
    if (cid.code !== dagPb.code) continue;
    let bytes: Uint8Array;
    try {
      bytes = await fs.readFile(path.join(blocksDir, dir, file));
    } catch {
      continue; // not held here: nothing below it is either
    }
    try {
      for (const link of dagPb.decode(bytes).Links) queue.push(link.Hash);
    } catch {
      // not dag-pb after all
    }
  }

  const now = Date.now();
  const result: BlockGcReturnType = { dryRun: options.dryRun === true, blocks: 0, bytes: 0, kept: 0 };
  let shards: string[] = [];
  try {
    shards = await fs.readdir(blocksDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  for (const shard of shards) {
    const dir = path.join(blocksDir, shard);
    const files = await fs.readdir(dir).catch(() => [] as string[]);
    for (const file of files) {
      if (!file.endsWith(EXTENSION)) continue;
      const stat = await fs.stat(path.join(dir, file)).catch(() => undefined);
      if (!stat?.isFile()) continue;
      if (reachable.has(file) || now - stat.mtimeMs < options.graceMs) {
        result.kept++;
        continue;
      }
      if (!result.dryRun) await fs.rm(path.join(dir, file), { force: true });
      result.blocks++;
      result.bytes += stat.size;
    }
  }
  return result;
}

/** Bytes of every block file under `blocksDir`. */
export async function blocksBytes(blocksDir: string): Promise<number> {
  let total = 0;
  const shards = await fs.readdir(blocksDir).catch(() => [] as string[]);
  for (const shard of shards) {
    const dir = path.join(blocksDir, shard);
    for (const file of await fs.readdir(dir).catch(() => [] as string[])) {
      const stat = await fs.stat(path.join(dir, file)).catch(() => undefined);
      if (stat?.isFile()) total += stat.size;
    }
  }
  return total;
}
