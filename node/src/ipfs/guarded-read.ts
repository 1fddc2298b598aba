/**
 * Limits every read from IPFS, whichever back end: a byte cap, a stall timeout, the caller's
 * abort signal, and one error vocabulary. The timeout races each `next()`, so even a source that
 * ignores its abort signal cannot hang the caller.
 */
import { IpfsError } from "./errors.ts";
import { DEFAULT_STALL_TIMEOUT_MS, type IpfsCatOptions, type IpfsClient } from "./types.ts";

export type GuardedReadParameters = {
  /** Opens the underlying stream; it should stop when `signal` aborts. */
  open: (signal: AbortSignal) => AsyncIterable<Uint8Array>;
  /** The content, for messages: a CID or `cid/path`. */
  what: string;
  signal?: AbortSignal;
  maxBytes?: number;
  /** Longest wait for one chunk. */
  stallTimeoutMs: number;
  /** Longest wait for the whole read (catBytes). */
  deadlineMs?: number;
  /** Turns a back end's error into an IpfsError (or returns it unchanged). */
  mapError: (error: unknown) => unknown;
};

export async function* guardedRead(parameters: GuardedReadParameters): AsyncGenerator<Uint8Array, void, undefined> {
  const { what, maxBytes, stallTimeoutMs, deadlineMs, signal } = parameters;
  signal?.throwIfAborted();
  const controller = new AbortController();
  let expired: IpfsError | undefined;
  const expire = (error: IpfsError) => {
    expired ??= error;
    controller.abort(error);
  };
  const onAbort = () => controller.abort(signal!.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  const deadline =
    deadlineMs === undefined
      ? undefined
      : setTimeout(() => expire(new IpfsError("timeout", `reading ${what} took longer than ${seconds(deadlineMs)}`, TIMEOUT_HINT)), deadlineMs);
  let stall: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(stall);
    stall = setTimeout(() => expire(new IpfsError("timeout", `no data for ${what} within ${seconds(stallTimeoutMs)}`, TIMEOUT_HINT)), stallTimeoutMs);
  };
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true });
  });
  aborted.catch(() => {});

  let iterator: AsyncIterator<Uint8Array> | undefined;
  try {
    iterator = parameters.open(controller.signal)[Symbol.asyncIterator]();
    let total = 0;
    for (;;) {
      arm();
      const step = await Promise.race([iterator.next(), aborted]);
      clearTimeout(stall);
      if (step.done) return;
      const chunk = step.value;
      total += chunk.byteLength;
      if (maxBytes !== undefined && total > maxBytes) {
        throw new IpfsError("too_large", `${what} is larger than the ${maxBytes} bytes allowed`);
      }
      if (chunk.byteLength > 0) yield chunk;
    }
  } catch (error) {
    if (expired) throw expired;
    if (signal?.aborted) throw signal.reason;
    if (error instanceof IpfsError) throw error;
    throw parameters.mapError(error);
  } finally {
    clearTimeout(stall);
    clearTimeout(deadline);
    signal?.removeEventListener("abort", onAbort);
    if (!controller.signal.aborted) controller.abort(new Error("read finished"));
    // Not awaited: a source stuck in next() would make return() wait for it.
    iterator?.return?.()?.catch?.(() => {});
  }
}

/** Where a back end reads: a path inside the CID, a start, and at most how many bytes. */
export type CatRange = { path?: string; offset?: number; length?: number };

export type GuardedCatParameters = {
  /** Streams `cid` within `range` (only the keys that are set); it should stop when `signal` aborts. */
  open: (cid: string, range: CatRange, signal: AbortSignal) => AsyncIterable<Uint8Array>;
  /** Turns a back end's error about `what` (a CID or `cid/path`) into an IpfsError (or returns it unchanged). */
  mapError: (error: unknown, what: string) => unknown;
};

/**
 * A back end's `cat` and `catBytes`, every read guarded: the stall timeout (`timeoutMs`, default
 * DEFAULT_STALL_TIMEOUT_MS) and the byte cap; `catBytes` also ends the whole read at `timeoutMs`.
 */
export function guardedCat(p: GuardedCatParameters): Pick<IpfsClient, "cat" | "catBytes"> {
  const read = (cid: string, options: IpfsCatOptions, deadlineMs?: number) => {
    const what = options.path ? `${cid}/${options.path}` : cid;
    return guardedRead({
      what,
      signal: options.signal,
      maxBytes: options.maxBytes,
      stallTimeoutMs: options.timeoutMs ?? DEFAULT_STALL_TIMEOUT_MS,
      deadlineMs,
      mapError: (error) => p.mapError(error, what),
      open: (signal) =>
        p.open(
          cid,
          {
            ...(options.path ? { path: options.path } : {}),
            ...(options.offset ? { offset: options.offset } : {}),
            // One byte past the cap, to tell "exactly maxBytes" from "more" (and no more than that is sent).
            ...(options.maxBytes !== undefined ? { length: options.maxBytes + 1 } : {}),
          },
          signal,
        ),
    });
  };
  return {
    cat: (cid, options = {}) => read(cid, options),
    catBytes: (cid, options) => collect(read(cid, options, options.timeoutMs)),
  };
}

/** Reads a guarded stream into one buffer. */
export async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of source) {
    chunks.push(chunk);
    length += chunk.byteLength;
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

const TIMEOUT_HINT = "check that a provider has it (Kubo) or add it to this node first (embedded)";

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
