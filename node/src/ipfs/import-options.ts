/**
 * The import settings that make our CIDs equal Kubo's `ipfs add --cid-version=1 --raw-leaves`
 * (Kubo's defaults for CIDv1): CIDv1, raw leaves, fixed 256 KiB chunks, a balanced DAG of at most
 * 174 links per node, a single-chunk file reduced to its raw leaf (so it gets a `bafkrei…` CID),
 * no wrapping directory. @helia/unixfs' own defaults differ (1 MiB chunks, 1024 links), so every
 * add passes these explicitly.
 */
import { BlackHoleBlockstore } from "blockstore-core";
import { importFile, type ImporterOptions } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";

/** Kubo's default chunk size (`--chunker=size-262144`). */
export const CHUNK_SIZE = 262_144;
/** Kubo's default maximum links per file node (`helpers.DefaultLinksPerBlock`). */
export const MAX_CHILDREN_PER_NODE = 174;

/** Importer options for ipfs-unixfs-importer / @helia/unixfs `addBytes` (a fresh object each call). */
export function kuboCompatibleImporterOptions() {
  return {
    cidVersion: 1,
    rawLeaves: true,
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize: CHUNK_SIZE }),
    layout: balanced({ maxChildrenPerNode: MAX_CHILDREN_PER_NODE }),
  } satisfies ImporterOptions;
}

/** The same settings as Kubo RPC `add` parameters (`/api/v0/add?cid-version=1&raw-leaves=true&chunker=size-262144`). */
export const KUBO_ADD_OPTIONS = {
  cidVersion: 1,
  rawLeaves: true,
  chunker: `size-${CHUNK_SIZE}`,
  trickle: false,
  wrapWithDirectory: false,
  // Kubo garbage-collects unpinned blocks; what the node publishes must stay.
  pin: true,
} as const;

export type ComputeCidParameters = Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/**
 * The CID `bytes` would get when added (by either back end), computed offline: nothing is stored
 * (the blocks go to a black hole), so it runs on files of any size in constant memory. For
 * writing `ipfs://` sources into manifests without publishing.
 */
export async function computeCid(content: ComputeCidParameters, options: { signal?: AbortSignal } = {}): Promise<string> {
  const { cid } = await importFile({ content }, new BlackHoleBlockstore(), { ...kuboCompatibleImporterOptions(), ...options });
  return cid.toString();
}
