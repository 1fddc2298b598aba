/**
 * One face for both IPFS back ends: the embedded Helia node (offline, blocks under
 * `<NS_LLM_HOME>/ipfs/`) and a Kubo daemon over its RPC API (NS_LLM_IPFS_API). Both import with
 * the same settings, so the same bytes get the same CID whichever one added them.
 */

export type IpfsMode = "embedded" | "kubo";

export type IpfsAddOptions = { signal?: AbortSignal };

export type IpfsCatOptions = {
  signal?: AbortSignal;
  /** Start at this byte of the file (resuming a download). Default 0. */
  offset?: number;
  /** Refuse (IpfsError "too_large") content longer than this many bytes from `offset`. No cap when unset. */
  maxBytes?: number;
  /**
   * Longest wait for the next chunk, the first one included, before the read fails with
   * IpfsError "timeout". A stall limit, not a cap on the whole transfer: a large file that keeps
   * flowing is never cut. Default DEFAULT_STALL_TIMEOUT_MS.
   */
  timeoutMs?: number;
  /** A path inside the CID when it names a directory (`ipfs://<cid>/model.gguf`). */
  path?: string;
};

export type IpfsCatBytesOptions = {
  signal?: AbortSignal;
  /** Required: the whole content is held in memory. */
  maxBytes: number;
  /** Deadline for the whole read. */
  timeoutMs: number;
  path?: string;
};

export type IpfsHasOptions = { signal?: AbortSignal; timeoutMs?: number };

export interface IpfsClient {
  readonly mode: IpfsMode;
  /** Where the blocks live: the embedded repo's folder, or the Kubo RPC API's URL. */
  readonly location: string;
  /** Adds one file's bytes (no wrapping directory); resolves to its CIDv1 (base32). */
  addBytes(bytes: Uint8Array, options?: IpfsAddOptions): Promise<string>;
  /** Like `addBytes` for content too large to hold in memory (e.g. a model read from disk). */
  addByteStream(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options?: IpfsAddOptions): Promise<string>;
  /** Streams a file's bytes. Fails with IpfsError: invalid_cid, not_found, timeout, too_large, not_a_file, unavailable. */
  cat(cid: string, options?: IpfsCatOptions): AsyncIterable<Uint8Array>;
  /** The whole file in memory, within `maxBytes` and `timeoutMs`. */
  catBytes(cid: string, options: IpfsCatBytesOptions): Promise<Uint8Array>;
  /** Bytes of the blocks held (embedded repo only: a Kubo daemon keeps its own StorageMax). */
  repoBytes?(): Promise<number>;
  /** Removes blocks not reachable from `roots` and older than `graceMs` (embedded repo only). */
  gc?(roots: Iterable<string>, options: { graceMs: number; dryRun?: boolean }): Promise<{ dryRun: boolean; blocks: number; bytes: number; kept: number }>;
  /** Whether the node holds the CID's root block locally (never searches the network). */
  has?(cid: string, options?: IpfsHasOptions): Promise<boolean>;
  /** Releases the repo (embedded) or the connection (Kubo). Safe to call twice. */
  stop(): Promise<void>;
}

/** Default stall limit of `cat`: 30 s without a byte. */
export const DEFAULT_STALL_TIMEOUT_MS = 30_000;
