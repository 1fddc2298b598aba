/**
 * The built-in fetcher for http:// and https:// sources (Node's fetch, i.e. undici): resumes with
 * a `Range` request, follows redirects (Hugging Face's resolve/ URLs redirect to a CDN), and gives
 * up on a source that sends nothing for `timeoutMs` — before the answer or between two chunks.
 */
import { SourceError } from "./errors.ts";
import type { SourceFetcher } from "./fetcher.ts";

export type CreateHttpFetcherParameters = {
  /** Longest silence allowed: waiting for the answer, and between two chunks of the body. */
  timeoutMs?: number;
  /** At most this many bytes are accepted from a source (the artifact's declared size). */
  maxBytes?: number;
};

export const DEFAULT_HTTP_TIMEOUT_MS = 30_000;

export function createHttpFetcher({ timeoutMs = DEFAULT_HTTP_TIMEOUT_MS, maxBytes }: CreateHttpFetcherParameters = {}): SourceFetcher {
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
      response = await fetch(url, {
        headers: { "accept-encoding": "identity", ...(offset > 0 ? { range: `bytes=${offset}-` } : {}) },
        redirect: "follow",
        signal: controller.signal,
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

/** Our own timeout says so; a caller's abort passes through untouched; the rest is a network fault. */
function asSourceError(error: unknown, ours: AbortSignal, theirs: AbortSignal | undefined): unknown {
  if (theirs?.aborted) return theirs.reason ?? error;
  if (ours.aborted && ours.reason instanceof SourceError) return ours.reason;
  if (error instanceof SourceError) return error;
  const e = error as Error & { cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return new SourceError(cause ? `${e.message} (${cause})` : (e.message ?? String(error)), "network", { cause: error });
}
