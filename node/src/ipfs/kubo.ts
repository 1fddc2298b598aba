/**
 * IPFS through a Kubo daemon's RPC API (NS_LLM_IPFS_API), with kubo-rpc-client. Adds use the
 * project's import settings as RPC parameters; `addBytes` also recomputes the CID locally and
 * refuses a different one (a daemon configured with other Import.* defaults), so a CID this node
 * publishes is always the one every other node computes. Reads go to the network through the
 * daemon, bounded by the stall timeout.
 */
import type { KuboRPCClient } from "kubo-rpc-client";
import { parseCid } from "./cid.ts";
import { IpfsError } from "./errors.ts";
import { guardedCat } from "./guarded-read.ts";
import { KUBO_ADD_OPTIONS, computeCid } from "./import-options.ts";
import type { IpfsClient } from "./types.ts";

export type OpenKuboIpfsParameters = {
  /** The RPC API: `http://127.0.0.1:5001` (the `/api/v0` path is added) or a multiaddr. */
  url: string;
  /** How long the daemon has to answer the first request (its version). Default 5 s. */
  connectTimeoutMs?: number;
};

/** Connects to the daemon and checks that it answers; throws IpfsError "unavailable" when it does not. */
export async function openKuboIpfs({ url, connectTimeoutMs = 5_000 }: OpenKuboIpfsParameters): Promise<IpfsClient> {
  // Loaded only when a daemon is configured.
  const { create } = await import("kubo-rpc-client");
  let client: KuboRPCClient;
  try {
    client = create(url);
  } catch (error) {
    throw new IpfsError("unavailable", `NS_LLM_IPFS_API "${url}" is not a URL or multiaddr`, "e.g. NS_LLM_IPFS_API=http://127.0.0.1:5001", { cause: error });
  }
  try {
    await client.version({ signal: AbortSignal.timeout(connectTimeoutMs) });
  } catch (error) {
    throw mapKuboError(error, url, "the daemon");
  }

  const { cat, catBytes } = guardedCat({
    open: (cid, { path, ...range }, signal) => {
      const root = parseCid(cid).toString();
      return client.cat(path ? `/ipfs/${root}/${path}` : root, { signal, ...range });
    },
    mapError: (error, what) => mapKuboError(error, url, what),
  });

  return {
    mode: "kubo",
    location: url,
    async addBytes(bytes, options = {}) {
      let added: string;
      try {
        added = (await client.add(bytes, { ...KUBO_ADD_OPTIONS, signal: options.signal })).cid.toString();
      } catch (error) {
        throw mapKuboError(error, url, "the add");
      }
      const expected = await computeCid(bytes);
      if (added !== expected) {
        throw new IpfsError(
          "cid_mismatch",
          `the Kubo daemon at ${url} added the bytes as ${added}, not ${expected} (CIDv1, raw leaves, 256 KiB chunks, 174 links)`,
          "reset the daemon's Import.* settings to Kubo's defaults (ipfs config Import --json '{}')",
        );
      }
      return added;
    },
    async addByteStream(source, options = {}) {
      try {
        return (await client.add(source, { ...KUBO_ADD_OPTIONS, signal: options.signal })).cid.toString();
      } catch (error) {
        throw mapKuboError(error, url, "the add");
      }
    },
    cat,
    catBytes,
    async has(cid, options = {}) {
      const parsed = parseCid(cid);
      try {
        // `offline`: answer from the daemon's own blocks, never a network search (Kubo honours it
        // on every command). A daemon that ignores it searches instead; a local block answers at
        // once, so running out of time means "not here" too.
        await client.block.stat(parsed, { offline: true, signal: options.signal, timeout: options.timeoutMs ?? 5_000 } as Parameters<KuboRPCClient["block"]["stat"]>[1]);
        return true;
      } catch (error) {
        if (/not found|no link named|offline|could not find/i.test((error as Error).message)) return false;
        if ((error as Error).name === "TimeoutError" && !options.signal?.aborted) return false;
        throw mapKuboError(error, url, cid);
      }
    },
    async stop() {},
  };
}

/** kubo-rpc-client's errors (fetch failures, HTTPError with Kubo's message, TimeoutError) as IpfsError. */
function mapKuboError(error: unknown, url: string, what: string): unknown {
  if (error instanceof IpfsError) return error;
  const e = error as Error & { cause?: { code?: string }; code?: string };
  const message = e?.message ?? String(error);
  if (e?.name === "TimeoutError") {
    return new IpfsError("timeout", `the Kubo daemon at ${url} did not deliver ${what} in time`, "check that a provider has it and the daemon is online", { cause: error });
  }
  if (e?.name === "HTTPError") {
    if (/not found|no link named|could not resolve/i.test(message)) {
      return new IpfsError("not_found", `${what}: ${message} (Kubo at ${url})`, undefined, { cause: error });
    }
    if (/not a file|is a directory|this dag node is a directory/i.test(message)) {
      return new IpfsError("not_a_file", `${what} is not a file (Kubo: ${message})`, "name a file inside it: ipfs://<cid>/<path>", { cause: error });
    }
    return new IpfsError("unavailable", `the Kubo daemon at ${url} refused ${what}: ${message}`, undefined, { cause: error });
  }
  if (e?.name === "TypeError" || /ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|fetch failed|socket/i.test(`${message} ${e?.cause?.code ?? ""}`)) {
    const cause = e?.cause as { code?: string; message?: string } | undefined;
    return new IpfsError(
      "unavailable",
      `cannot reach the Kubo RPC API at ${url} (${cause?.code ?? cause?.message ?? message})`,
      "start the daemon (ipfs daemon) or unset NS_LLM_IPFS_API to use the embedded node",
      { cause: error },
    );
  }
  return error;
}
