/**
 * The built-in fetcher for http:// and https:// sources (undici): resumes with a `Range` request,
 * follows at most MAX_REDIRECTS redirects (Hugging Face's resolve/ URLs redirect to a CDN), and
 * gives up on a source that sends nothing for `timeoutMs` — before the answer or between two chunks.
 *
 * Every hop is held to the source policy (manifest/source-policy.ts): its scheme, a literal IP
 * host, and every address its name resolves to. The connection goes to the address that was
 * checked (the Agent's own `lookup` checks what it returns), so a name that resolves to a public
 * address for the check and to 127.0.0.1 for the connection (DNS rebinding) cannot get through.
 */
import dns from "node:dns";
import { Agent, fetch, type Response } from "undici";
import { addressRefusal, literalAddress, PUBLIC_SOURCES_ONLY, type SourcePolicy } from "../../manifest/index.ts";
import { SourceError } from "./errors.ts";
import type { SourceFetcher } from "./fetcher.ts";

export type CreateHttpFetcherParameters = {
  /** Longest silence allowed: waiting for the answer, and between two chunks of the body. */
  timeoutMs?: number;
  /** At most this many bytes are accepted from a source (the artifact's declared size). */
  maxBytes?: number;
  /** Which addresses and schemes may be reached; default public https:// only. */
  policy?: SourcePolicy;
};

export const DEFAULT_HTTP_TIMEOUT_MS = 30_000;
export const MAX_REDIRECTS = 5;

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/** A `lookup` for sockets that refuses (ECONNREFUSED-like, with the policy's reason) any name resolving to a refused address. */
export function policyLookup(policy: SourcePolicy) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      for (const { address } of addresses) {
        const refusal = addressRefusal(address, policy);
        if (refusal) {
          const refused = Object.assign(new Error(`${hostname} resolves to ${refusal}`), { code: "ESOURCEREFUSED" }) as NodeJS.ErrnoException;
          return callback(refused, []);
        }
      }
      if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), []);
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/** Refusal of one hop before any connection: its scheme and a literal IP host. */
function hopRefusal(url: URL, policy: SourcePolicy): string | undefined {
  if (url.protocol !== "http:" && url.protocol !== "https:") return `${url.protocol}// is not fetched`;
  if (url.protocol === "http:" && !policy.allowsHttp()) return "http:// is not fetched by this node (https:// only; NS_LLM_ALLOW_HTTP_SOURCES=1 allows it)";
  if (url.username || url.password) return "credentials in the URL are not sent";
  const literal = literalAddress(url);
  return literal !== undefined ? addressRefusal(literal, policy) : undefined;
}

export function createHttpFetcher({ timeoutMs = DEFAULT_HTTP_TIMEOUT_MS, maxBytes, policy = PUBLIC_SOURCES_ONLY }: CreateHttpFetcherParameters = {}): SourceFetcher {
  const dispatcher = new Agent({ connect: { lookup: policyLookup(policy) as never }, keepAliveTimeout: 1_000 });
  return async (url, { offset, signal }) => {
    signal?.throwIfAborted();
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(new SourceError(`no data for ${timeoutMs / 1000} s`)), timeoutMs);
    };
    const release = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };

    arm();
    let response: Response;
    try {
      response = await fetchFollowingChecked(url, {
        headers: { "accept-encoding": "identity", ...(offset > 0 ? { range: `bytes=${offset}-` } : {}) },
        signal: controller.signal,
        dispatcher,
        policy,
      });
    } catch (error) {
      release();
      throw asSourceError(error, controller.signal, signal);
    }

    let skip = 0;
    if (offset > 0 && response.status === 206) {
      const start = /^bytes (\d+)-/.exec(response.headers.get("content-range") ?? "")?.[1];
      if (start === undefined || Number(start) !== offset) {
        controller.abort();
        release();
        throw new SourceError(`answered a range request for offset ${offset} with content-range "${response.headers.get("content-range")}"`);
      }
    } else if (response.status === 200) {
      skip = offset; // the server ignored Range: read past what we already have
    } else {
      controller.abort();
      release();
      throw new SourceError(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`);
    }
    const length = Number(response.headers.get("content-length") ?? NaN);
    if (maxBytes !== undefined && Number.isFinite(length) && offset + length - skip > maxBytes) {
      controller.abort();
      release();
      throw new SourceError(`serves ${offset + length - skip} bytes, more than the declared ${maxBytes}`, "oversize");
    }
    if (!response.body) {
      release();
      return (async function* () {})();
    }
    const body = response.body;

    return (async function* () {
      try {
        for await (const chunk of body) {
          arm();
          if (skip > 0) {
            if (chunk.byteLength <= skip) {
              skip -= chunk.byteLength;
              continue;
            }
            const rest = chunk.subarray(skip);
            skip = 0;
            yield rest;
          } else {
            yield chunk;
          }
        }
      } catch (error) {
        throw asSourceError(error, controller.signal, signal);
      } finally {
        release();
        if (!controller.signal.aborted) controller.abort(); // the consumer stopped early: close the connection
      }
    })();
  };
}

/** fetch with redirects followed by hand, each hop checked against the policy; at most MAX_REDIRECTS. */
async function fetchFollowingChecked(
  start: URL,
  init: { headers: Record<string, string>; signal: AbortSignal; dispatcher: Agent; policy: SourcePolicy },
): Promise<Response> {
  let url = start;
  for (let hop = 0; ; hop++) {
    const refusal = hopRefusal(url, init.policy);
    if (refusal) throw new SourceError(hop === 0 ? `refused: ${refusal}` : `refused: redirected to ${url.host}: ${refusal}`, "refused");
    const response = await fetch(url, { headers: init.headers, redirect: "manual", signal: init.signal, dispatcher: init.dispatcher });
    const location = response.headers.get("location");
    if (response.status < 300 || response.status > 399 || response.status === 304 || !location) return response;
    await response.body?.cancel().catch(() => {});
    if (hop >= MAX_REDIRECTS) throw new SourceError(`more than ${MAX_REDIRECTS} redirects`, "network");
    try {
      url = new URL(location, url);
    } catch {
      throw new SourceError("redirected to something that is not a URL", "network");
    }
  }
}

/** Our own timeout says so; a caller's abort passes through untouched; the rest is a network fault. */
function asSourceError(error: unknown, ours: AbortSignal, theirs: AbortSignal | undefined): unknown {
  if (theirs?.aborted) return theirs.reason ?? error;
  if (ours.aborted && ours.reason instanceof SourceError) return ours.reason;
  if (error instanceof SourceError) return error;
  const refused = findRefusal(error);
  if (refused) return new SourceError(`refused: ${refused}`, "refused", { cause: error });
  const e = error as Error & { cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return new SourceError(cause ? `${e.message} (${cause})` : (e.message ?? String(error)), "network", { cause: error });
}

/** The policy's refusal inside an error chain (undici wraps the socket's lookup error). */
function findRefusal(error: unknown): string | undefined {
  for (let e = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.code === "ESOURCEREFUSED") return String(e.message);
  }
  return undefined;
}
