/**
 * How the store gets bytes: one `SourceFetcher` per URL scheme. HTTP(S) is built in; the IPFS
 * module registers `ipfs:` (Helia or Kubo) through `pull(..., { fetchers })`.
 */

export type SourceFetcherOptions = {
  /** Bytes the store already has; the fetcher yields the content from this offset on. */
  offset: number;
  signal?: AbortSignal;
};

/**
 * Opens `url` and yields its bytes from `offset`. Throw `SourceError` for faults of the source
 * (anything else is treated as a network fault too). Yielding fewer bytes than the artifact's
 * size is a truncation (the store keeps the part and resumes later); the store checks size and
 * sha256 itself, so a fetcher need not.
 */
export type SourceFetcher = (url: URL, options: SourceFetcherOptions) => Promise<AsyncIterable<Uint8Array>>;

/** Fetchers by URL scheme with its colon, e.g. `{ "ipfs:": heliaFetcher }`. */
export type SourceFetchers = Record<string, SourceFetcher>;
