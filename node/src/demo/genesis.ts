/**
 * The genesis state of a dev network: the generated demo models, their artifacts named by IPFS
 * CID (`ipfs://…` sources), and the three manifests whose CIDs and digests the first proposals
 * adopt. Everything is a pure function of the code, so the orchestrator (which proposes) and the
 * node (which publishes the bytes to its IPFS) compute the same CIDs independently.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Role } from "@ns-llm/contracts";
import { makeDemoModels } from "./make-demo.ts";
import { computeCid, type IpfsClient } from "../ipfs/index.ts";
import { encodeManifest, manifestDigest, type Manifest } from "../manifest/index.ts";

export type GenesisManifest = {
  role: Role;
  name: string;
  manifest: Manifest;
  /** The manifest's exact bytes (canonical JSON), its CID and the sha256 the chain records. */
  bytes: Uint8Array;
  cid: string;
  digest: `0x${string}`;
  /** The artifact files to publish beside it. */
  artifacts: Array<{ file: string; cid: string }>;
};

/** The roles the dev genesis adopts. */
export type GenesisRole = "generation" | "embedding" | "parameters";
export type DemoGenesis = Record<GenesisRole, GenesisManifest>;

/** Writes the demo models into `dir` and returns the genesis manifests that name them by CID. */
export async function demoGenesis(dir: string): Promise<DemoGenesis> {
  const demo = await makeDemoModels(dir);
  const fileOf = new Map(demo.files.map((f) => [f.sha256, path.join(demo.dir, f.path)]));
  const entries = await Promise.all(
    (["generation", "embedding", "parameters"] as const).map(async (role) => {
      const { manifest } = demo.manifests[role];
      // In the manifest's order: the first artifact is the file the engine loads.
      let artifacts: GenesisManifest["artifacts"] = [];
      let withSources: Manifest = manifest;
      if (manifest.role !== "parameters") {
        artifacts = await Promise.all(
          manifest.model.artifacts.map(async (artifact) => {
            const file = fileOf.get(artifact.sha256);
            if (!file) throw new Error(`demo artifact ${artifact.path} was not written`);
            return { file, cid: await computeCid(await readFile(file)) };
          }),
        );
        const named = manifest.model.artifacts.map((artifact, i) => ({ ...artifact, sources: [`ipfs://${artifacts[i]!.cid}`] }));
        withSources = { ...manifest, model: { ...manifest.model, artifacts: named } } as Manifest;
      }
      const bytes = encodeManifest(withSources);
      const entry: GenesisManifest = { role, name: manifest.name, manifest: withSources, bytes, cid: await computeCid(bytes), digest: manifestDigest(bytes), artifacts };
      return [role, entry] as const;
    }),
  );
  return Object.fromEntries(entries) as DemoGenesis;
}

/** Adds the genesis artifacts and manifests to `ipfs`; checks every CID against the computed one. */
export async function publishGenesis(ipfs: IpfsClient, genesis: DemoGenesis): Promise<void> {
  for (const entry of Object.values(genesis)) {
    for (const artifact of entry.artifacts) await addExpecting(ipfs, await readFile(artifact.file), artifact.cid);
    await addExpecting(ipfs, entry.bytes, entry.cid);
  }
}

async function addExpecting(ipfs: IpfsClient, bytes: Uint8Array, expected: string): Promise<void> {
  const cid = await ipfs.addBytes(bytes);
  if (cid !== expected) throw new Error(`IPFS gave ${cid} where ${expected} was computed: the import settings differ`);
}
