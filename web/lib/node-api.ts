/**
 * The NS-LLM node's manifest routes (SPEC.md "HTTP API of the node"), called from the browser. The
 * node only carries bytes: every manifest is hashed here (lib/manifest-hash.ts) and checked against
 * what the chain names, never taken on the node's word.
 */
import type { Hex } from "viem";
import type { Manifest } from "./manifest.ts";
import { checkManifestBytes, encodeAndIdentify, manifestMismatch, type ManifestCheck } from "./manifest-hash.ts";
import { withNodeAuth } from "./node-http.ts";

export type PublishedManifest = { cid: string; digest: Hex };

async function nodeError(response: Response): Promise<Error> {
  const body = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  const message = body?.error?.message ?? response.statusText;
  return new Error(`the node answered ${response.status}${body?.error?.code ? ` ${body.error.code}` : ""}: ${message}`);
}

function unreachable(nodeUrl: string, error: unknown): Error {
  return new Error(`the node at ${nodeUrl} is not reachable (${(error as Error).message}); start it with "ns-llm serve" or change the node URL in the settings`);
}

/**
 * Bytes a node returned that are not the ones the chain names (or a publication the node stored
 * under another identity than the bytes sent): the node, or something on the way, is not honest.
 */
export class ManifestIntegrityError extends Error {
  readonly check: ManifestCheck | undefined;
  constructor(message: string, check?: ManifestCheck) {
    super(message);
    this.name = "ManifestIntegrityError";
    this.check = check;
  }
}

/**
 * Publishes a manifest to IPFS through the node: its canonical bytes (the protocol's
 * `encodeManifest`), with the CID and digest computed in the browser. The node's answer must name
 * the same CID and digest; the proposal is made from the browser's, never from the node's.
 */
export async function publishManifest(nodeUrl: string, manifest: Manifest): Promise<PublishedManifest> {
  const { bytes, cid, digest } = await encodeAndIdentify(manifest);
  let response: Response;
  try {
    const url = new URL("/api/manifests", nodeUrl);
    response = await fetch(url, withNodeAuth(url, { method: "POST", headers: { "content-type": "application/json" }, body: new Uint8Array(bytes) }));
  } catch (error) {
    throw unreachable(nodeUrl, error);
  }
  if (!response.ok) throw await nodeError(response);
  const answered = (await response.json()) as Partial<PublishedManifest>;
  if (answered.cid !== cid || String(answered.digest).toLowerCase() !== digest) {
    throw new ManifestIntegrityError(
      `the node says it stored the manifest as CID ${String(answered.cid)} with digest ${String(answered.digest)}, but its bytes, hashed in this browser, are CID ${cid} and digest ${digest}. Nothing was proposed: use a node you trust (Settings).`,
    );
  }
  return { cid, digest };
}

export type VerifiedManifest = {
  manifest: Manifest;
  /** Computed in the browser from the bytes fetched; equal to the chain's. */
  digest: Hex;
  cid: string;
  /** False when the CID names a UnixFS DAG the browser does not rebuild (the digest is still checked). */
  cidChecked: boolean;
};

/**
 * The manifest stored under `cid`, fetched through the node as bytes, hashed in the browser and
 * compared with `digest` (the registry's or the proposal's calldata); a mismatch throws a
 * ManifestIntegrityError and nothing of those bytes is shown.
 */
export async function fetchManifest(nodeUrl: string, cid: string, digest: Hex): Promise<VerifiedManifest> {
  const { bytes, check, mismatch } = await fetchAndCheck(nodeUrl, cid, digest);
  if (mismatch) throw new ManifestIntegrityError(mismatch, check);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as Manifest;
  } catch {
    throw new Error(`${cid} matches its digest but is not a JSON document`);
  }
  return { manifest, digest: check.computed.digest, cid, cidChecked: check.cidOk === true };
}

/**
 * The bytes stored under `cid`, fetched through the node and checked in the browser against the
 * CID and the digest the chain names; a mismatch throws a ManifestIntegrityError. For documents
 * that are not manifests (a signed release file), whose parsing is the caller's.
 */
export async function fetchVerifiedBytes(nodeUrl: string, cid: string, digest: Hex): Promise<{ bytes: Uint8Array; check: ManifestCheck }> {
  const { bytes, check, mismatch } = await fetchAndCheck(nodeUrl, cid, digest);
  if (mismatch) throw new ManifestIntegrityError(mismatch.replace("The manifest bytes", "The bytes"), check);
  return { bytes, check };
}

/** The bytes stored under `cid`, through the node, with the browser's own check of them. */
async function fetchAndCheck(nodeUrl: string, cid: string, digest: Hex) {
  let response: Response;
  try {
    const url = new URL(`/api/manifests/${encodeURIComponent(cid)}`, nodeUrl);
    response = await fetch(url, withNodeAuth(url, { signal: AbortSignal.timeout(15_000) }));
  } catch (error) {
    throw unreachable(nodeUrl, error);
  }
  if (!response.ok) throw await nodeError(response);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const check = await checkManifestBytes(bytes, { cid, digest });
  return { bytes, check, mismatch: manifestMismatch(check) };
}

/**
 * Publishes a file as it is (a signed release: its bytes are what the digest names) through the
 * node's IPFS upload route (`POST /api/ipfs`). `expected` is the CID and digest the browser
 * computed; a node that answers with another CID stops the flow (ManifestIntegrityError).
 */
export async function publishFile(nodeUrl: string, bytes: Uint8Array, expected: PublishedManifest): Promise<PublishedManifest> {
  let response: Response;
  try {
    const url = new URL("/api/ipfs", nodeUrl);
    response = await fetch(url, withNodeAuth(url, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: new Uint8Array(bytes) }));
  } catch (error) {
    throw unreachable(nodeUrl, error);
  }
  if (!response.ok) throw await nodeError(response);
  const answered = (await response.json()) as { cid?: string; size?: number };
  if (answered.cid !== expected.cid || answered.size !== bytes.length) {
    throw new ManifestIntegrityError(
      `the node says it stored the file as CID ${String(answered.cid)} (${String(answered.size)} bytes), but its ${bytes.length} bytes, hashed in this browser, are CID ${expected.cid}. Nothing was proposed: use a node you trust (Settings).`,
    );
  }
  return expected;
}
