/**
 * The model store's fetcher for `ipfs://<cid>[/path]` sources: it streams the file through the
 * node's IPFS back end from the store's resume offset, and reports faults as the store's
 * SourceError so a pull says why this source failed and tries the next one.
 */
import { SourceError, type SourceFetcher } from "../inference/store/index.ts";
import { parseIpfsUrl } from "./cid.ts";
import { IpfsError } from "./errors.ts";
import { DEFAULT_STALL_TIMEOUT_MS, type IpfsClient } from "./types.ts";

export type IpfsSourceFetcherOptions = {
  /** Longest wait for the next chunk. Default DEFAULT_STALL_TIMEOUT_MS (30 s). */
  stallTimeoutMs?: number;
};

/** A `SourceFetcher` for `ipfs:` URLs: register it with the store as `{ "ipfs:": ipfsSourceFetcher(ipfs) }`. */
export function ipfsSourceFetcher(ipfs: IpfsClient, options: IpfsSourceFetcherOptions = {}): SourceFetcher {
  return async (url, { offset, signal }) => {
    let target;
    try {
      target = parseIpfsUrl(url);
    } catch (error) {
      throw new SourceError((error as Error).message, "network", { cause: error });
    }
    // Fail before the store opens its part file when the embedded node plainly lacks the file.
    if (ipfs.mode === "embedded" && ipfs.has && !target.path && !(await ipfs.has(target.cid, { signal }))) {
      throw new SourceError(`${target.cid} not found locally (the embedded IPFS node is offline)`, "network");
    }
    const stream = ipfs.cat(target.cid, {
      offset,
      timeoutMs: options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS,
      ...(signal ? { signal } : {}),
      ...(target.path ? { path: target.path } : {}),
    });
    return asSourceErrors(stream);
  };
}

async function* asSourceErrors(stream: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    yield* stream;
  } catch (error) {
    if (error instanceof IpfsError) {
      throw new SourceError(`${error.message}${error.hint ? ` (${error.hint})` : ""}`, error.code === "too_large" ? "oversize" : "network", { cause: error });
    }
    throw error;
  }
}
