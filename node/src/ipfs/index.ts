/**
 * IPFS for the node: one `IpfsClient` over the embedded Helia node (offline, the default) or a
 * Kubo daemon (NS_LLM_IPFS_API), with CIDs equal to Kubo's `ipfs add --cid-version=1 --raw-leaves`;
 * manifests published and fetched by CID; the model store's `ipfs://` fetcher.
 */
export { openIpfs, embeddedRepoPath } from "./open-ipfs.ts";
export type { OpenIpfsParameters } from "./open-ipfs.ts";
export { openEmbeddedIpfs } from "./embedded.ts";
export type { OpenEmbeddedIpfsParameters } from "./embedded.ts";
export { openKuboIpfs } from "./kubo.ts";
export type { OpenKuboIpfsParameters } from "./kubo.ts";
export { DEFAULT_STALL_TIMEOUT_MS } from "./types.ts";
export type { IpfsClient, IpfsMode, IpfsAddOptions, IpfsCatOptions, IpfsCatBytesOptions, IpfsHasOptions } from "./types.ts";
export { IpfsError, isIpfsError } from "./errors.ts";
export type { IpfsErrorCode } from "./errors.ts";
export { computeCid, kuboCompatibleImporterOptions, KUBO_ADD_OPTIONS, CHUNK_SIZE, MAX_CHILDREN_PER_NODE } from "./import-options.ts";
export type { ComputeCidParameters } from "./import-options.ts";
export { parseCid, isCid, parseIpfsUrl } from "./cid.ts";
export type { IpfsUrl } from "./cid.ts";
export { publishManifest, fetchManifest } from "./manifests.ts";
export type { PublishManifestReturnType, FetchManifestOptions } from "./manifests.ts";
export { ipfsSourceFetcher } from "./source-fetcher.ts";
export type { IpfsSourceFetcherOptions } from "./source-fetcher.ts";
