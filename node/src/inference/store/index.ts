/**
 * The node's content-addressed model store: `openModelStore(home)` gives `has`, `pathOf`, `list`,
 * `verify`, `pull` (resumable, verified downloads from http(s) and pluggable sources such as
 * ipfs://) and `materialize` (a real folder of files for the engines).
 */
export { openModelStore } from "./open-model-store.ts";
export type { OpenModelStoreOptions } from "./open-model-store.ts";
export { DEFAULT_GC_GRACE_MS } from "./gc.ts";
export type { GcOptions, GcReturnType } from "./gc.ts";
export { StoreFullError, checkSpace, storeBytes } from "./space.ts";
export type { StoreLimits } from "./space.ts";
export { acquirePartLock } from "./part-lock.ts";
export { formatSize } from "./format-size.ts";
export type {
  ModelStore,
  StoredBlob,
  VerifiedBlob,
  VerifyStoreReturnType,
  PullOptions,
  PullReturnType,
  PulledArtifact,
} from "./open-model-store.ts";
export type { PullEvent } from "./pull.ts";
export type { SourceFetcher, SourceFetcherOptions, SourceFetchers } from "./fetcher.ts";
export { createHttpFetcher, DEFAULT_HTTP_TIMEOUT_MS, MAX_REDIRECTS } from "./http-fetcher.ts";
export type { CreateHttpFetcherParameters } from "./http-fetcher.ts";
export { PullError, SourceError, MissingBlobsError } from "./errors.ts";
export type { SourceAttempt } from "./errors.ts";
export type { BlobRef } from "./refs-index.ts";
export { modelFolderName } from "./materialize.ts";
export { shortDigest, storeLayout } from "./layout.ts";
export type { StoreLayout } from "./layout.ts";
