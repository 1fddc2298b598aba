/** The NS-LLM node's manifest routes (SPEC.md "HTTP API of the node"), called from the browser. */
import type { Hex } from "viem";
import type { Manifest } from "./manifest.ts";
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

/** Publishes a manifest to IPFS through the node; the node validates it first. */
export async function publishManifest(nodeUrl: string, manifest: Manifest): Promise<PublishedManifest> {
  let response: Response;
  try {
    const url = new URL("/api/manifests", nodeUrl);
    response = await fetch(url, withNodeAuth(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(manifest) }));
  } catch (error) {
    throw unreachable(nodeUrl, error);
  }
  if (!response.ok) throw await nodeError(response);
  return (await response.json()) as PublishedManifest;
}

/** The manifest stored under `cid`, fetched through the node. */
export async function fetchManifest(nodeUrl: string, cid: string): Promise<Manifest> {
  let response: Response;
  try {
    const url = new URL(`/api/manifests/${encodeURIComponent(cid)}`, nodeUrl);
    response = await fetch(url, withNodeAuth(url, { signal: AbortSignal.timeout(15_000) }));
  } catch (error) {
    throw unreachable(nodeUrl, error);
  }
  if (!response.ok) throw await nodeError(response);
  return (await response.json()) as Manifest;
}
