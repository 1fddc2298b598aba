/**
 * How a command reaches IPFS for manifests: through the running node's API when one answers at
 * NS_LLM_HOST:NS_LLM_PORT (its embedded IPFS repo is locked while it runs), else by opening the
 * IPFS back end itself.
 */
import type { Config } from "../config.ts";
import { fetchManifest, openIpfs, publishManifest } from "../ipfs/index.ts";
import { UserError } from "./errors.ts";

export type ManifestAccess = {
  via: "node" | "ipfs";
  publish(bytes: Uint8Array): Promise<{ cid: string; digest: `0x${string}` }>;
  fetch(cid: string): Promise<Uint8Array>;
  close(): Promise<void>;
};

export async function manifestAccess(config: Config): Promise<ManifestAccess> {
  const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  const base = `http://${host.includes(":") ? `[${host}]` : host}:${config.port}`;
  const headers: Record<string, string> = config.apiToken ? { authorization: `Bearer ${config.apiToken}` } : {};
  const nodeUp = await fetch(`${base}/health`, { headers, signal: AbortSignal.timeout(1_500) }).then(
    (r) => r.ok,
    () => false,
  );
  if (nodeUp) {
    return {
      via: "node",
      async publish(bytes) {
        const response = await fetch(`${base}/api/manifests`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: Buffer.from(bytes) });
        const body = (await response.json()) as { cid: string; digest: `0x${string}`; error?: { message: string } };
        if (!response.ok) throw new UserError(`the node refused the manifest: ${body.error?.message ?? response.status}`, "fix the manifest (ns-llm manifest validate)");
        return body;
      },
      async fetch(cid) {
        const response = await fetch(`${base}/api/manifests/${encodeURIComponent(cid)}`, { headers, signal: AbortSignal.timeout(30_000) });
        if (!response.ok) throw new UserError(`the node could not fetch ${cid} (HTTP ${response.status})`, "check the CID, or publish the manifest first");
        return new Uint8Array(await response.arrayBuffer());
      },
      close: async () => {},
    };
  }
  const ipfs = await openIpfs(config);
  return {
    via: "ipfs",
    publish: (bytes) => publishManifest(ipfs, bytes),
    fetch: (cid) => fetchManifest(ipfs, cid, { timeoutMs: 10_000 }),
    close: () => ipfs.stop(),
  };
}

