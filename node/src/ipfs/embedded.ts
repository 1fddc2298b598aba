/**
 * The embedded IPFS node: Helia on a filesystem blockstore and datastore under the repo folder
 * (`<NS_LLM_HOME>/ipfs/`), created with `createHeliaLight`, i.e. with no libp2p, no routers and no
 * block brokers. Starting it opens two folders and touches no network; every read is `offline`,
 * so a CID it does not hold fails at once with "not found locally" instead of a network search.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { CID } from "multiformats/cid";
import { blocksBytes, collectBlocks } from "./block-gc.ts";
import { parseCid } from "./cid.ts";
import { IpfsError } from "./errors.ts";
import { guardedCat } from "./guarded-read.ts";
import { kuboCompatibleImporterOptions } from "./import-options.ts";
import { acquireRepoLock } from "./repo-lock.ts";
import type { IpfsClient } from "./types.ts";

export type OpenEmbeddedIpfsParameters = {
  /** The repo folder, created when missing: `blocks/` (Kubo's flatfs layout) and `datastore/`. */
  repo: string;
};

/** Opens (creating if needed) and starts the embedded node; throws IpfsError "repo_locked" when another process has it. */
export async function openEmbeddedIpfs({ repo }: OpenEmbeddedIpfsParameters): Promise<IpfsClient> {
  const location = path.resolve(repo);
  await fs.mkdir(location, { recursive: true });
  const lock = await acquireRepoLock(location);
  // Loaded here, not at import: `helia` pulls in libp2p's modules (over a second of CPU), which
  // commands that never open the embedded node should not pay for.
  const [{ createHeliaLight }, { unixfs }, { FsBlockstore }, { FsDatastore }] = await Promise.all([
    import("helia"),
    import("@helia/unixfs"),
    import("blockstore-fs"),
    import("datastore-fs"),
  ]).catch(async (error: unknown) => {
    await lock.release();
    throw error;
  });
  const blockstore = new FsBlockstore(path.join(location, "blocks"));
  const datastore = new FsDatastore(path.join(location, "datastore"));
  let helia;
  try {
    await blockstore.open();
    await datastore.open();
    helia = createHeliaLight({ blockstore, datastore });
    await helia.start();
  } catch (error) {
    await blockstore.close().catch(() => {});
    await datastore.close().catch(() => {});
    await lock.release();
    throw error;
  }
  const files = unixfs(helia);
  const blocksDir = path.join(location, "blocks");
  let stopped: Promise<void> | undefined;

  /**
   * Blocks written by adds still running: an add that fails (aborted, over its quota) removes
   * the blocks it wrote, unless another add that succeeded wrote or found them too.
   */
  const fresh = new Map<string, { adds: number; committed: boolean }>();
  const heliaBlocks = helia.blockstore;
  async function trackedAdd(run: (fs: ReturnType<typeof unixfs>) => Promise<CID>): Promise<string> {
    const mine = new Map<string, CID>();
    const tracking = unixfs({
      blockstore: {
        get: (cid, options) => heliaBlocks.get(cid, options),
        has: (cid, options) => heliaBlocks.has(cid, options),
        async put(cid, bytes, options) {
          const key = cid.toString();
          const existed = await heliaBlocks.has(cid, options);
          const result = await heliaBlocks.put(cid, bytes, options);
          const entry = fresh.get(key);
          if ((!existed || entry) && !mine.has(key)) {
            mine.set(key, cid);
            if (entry) entry.adds++;
            else fresh.set(key, { adds: 1, committed: false });
          }
          return result;
        },
      },
    });
    let ok = false;
    try {
      const cid = await run(tracking);
      ok = true;
      return cid.toString();
    } finally {
      for (const [key, cid] of mine) {
        const entry = fresh.get(key)!;
        if (ok) entry.committed = true;
        if (--entry.adds === 0) {
          fresh.delete(key);
          if (!entry.committed) await Promise.resolve(heliaBlocks.delete(cid)).catch(() => {});
        }
      }
    }
  }

  const { cat, catBytes } = guardedCat({
    open: (cid, range, signal) => files.cat(parseCid(cid), { signal, offline: true, ...range }),
    mapError: mapHeliaError,
  });

  return {
    mode: "embedded",
    location,
    async addBytes(bytes, options = {}) {
      const cid = await files.addBytes(bytes, { ...kuboCompatibleImporterOptions(), signal: options.signal });
      return cid.toString();
    },
    addByteStream(source, options = {}) {
      return trackedAdd((ufs) => ufs.addByteStream(toAsync(source), { ...kuboCompatibleImporterOptions(), signal: options.signal }));
    },
    repoBytes: () => blocksBytes(blocksDir),
    gc: (roots, options) => collectBlocks(blocksDir, roots, options),
    cat,
    catBytes,
    async has(cid, options = {}) {
      return helia.blockstore.has(parseCid(cid), { signal: options.signal });
    },
    stop() {
      stopped ??= (async () => {
        try {
          await helia.stop();
          await blockstore.close();
          await datastore.close();
        } finally {
          await lock.release();
        }
      })();
      return stopped;
    },
  };
}

/** Helia's and the exporter's errors in the module's vocabulary. */
function mapHeliaError(error: unknown, what: string): unknown {
  const name = (error as Error | undefined)?.name;
  switch (name) {
    case "BlockNotFoundWhileOfflineError":
    case "NotFoundError":
    case "LoadBlockFailedError":
      return new IpfsError(
        "not_found",
        `${what} not found locally (the embedded IPFS node is offline and does not have it)`,
        "add it on this node with `ns-llm ipfs add` or `ns-llm manifest publish`, or set NS_LLM_IPFS_API to a Kubo daemon that can fetch it",
        { cause: error },
      );
    case "InvalidConfigurationError":
      // "No block brokers configured": Helia would have to fetch a block, and cannot.
      return new IpfsError("not_found", `${what} not found locally (the embedded IPFS node has no network)`, undefined, { cause: error });
    case "NotAFileError":
    case "NoContentError":
      return new IpfsError("not_a_file", `${what} is not a file (a directory?)`, "name a file inside it: ipfs://<cid>/<path>", { cause: error });
    case "NotUnixFSError":
    case "UnknownCodecError":
    case "NoResolverError":
      return new IpfsError("not_a_file", `${what} is not a UnixFS file`, undefined, { cause: error });
    case "BadPathError":
      return new IpfsError("not_found", `${what}: no such path inside the CID`, undefined, { cause: error });
    default:
      return error;
  }
}

async function* toAsync(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* source;
}
