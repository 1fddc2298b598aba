/**
 * Applies a verified manifest to the running node: fetch and verify its artifacts into the store
 * (the store first, then each source in order), materialize them as files, load the new engine
 * beside the current one, smoke-test it, and only then swap. A `parameters` manifest applies at
 * once. Every failure is an AdoptionError that says whether retrying can help.
 */
import path from "node:path";
import type { LoadedManifest } from "../inference/model-slot.ts";
import { PullError, type ModelStore, type SourceFetchers } from "../inference/store/index.ts";
import type { EmbeddingEngine, GenerationEngine } from "../inference/types.ts";
import type { EmbeddingManifest, GenerationManifest, Manifest, ManifestParameters } from "../manifest/index.ts";
import { AdoptionError } from "./errors.ts";
import type { Adoption, Applier } from "./follower.ts";

/** Checks a freshly loaded engine before it serves anyone; throws when it is not fit. */
export type SmokeTest<E> = (engine: E) => Promise<void>;

export type ApplierTarget = {
  store: ModelStore;
  /** Fetchers by URL scheme besides http(s), e.g. `{ "ipfs:": ipfsSourceFetcher(ipfs) }`. */
  fetchers: SourceFetchers;
  loadGeneration(spec: { modelPath: string; name: string; manifest: LoadedManifest }, smokeTest: SmokeTest<GenerationEngine>): Promise<void>;
  loadEmbedding(spec: { model: string; tokenizer?: string; name: string; manifest: LoadedManifest }, smokeTest: SmokeTest<EmbeddingEngine>): Promise<void>;
  setParameters(parameters: ManifestParameters, manifest: LoadedManifest): void;
  log?: (line: string) => void;
};

export function createApplier(target: ApplierTarget): Applier<Manifest> {
  return {
    async apply(_role, manifest, adoption, { signal, offline }) {
      const loaded: LoadedManifest = { cid: adoption.cid, name: manifest.name, version: adoption.version, digest: adoption.digest };
      if (manifest.role === "parameters") {
        target.setParameters(manifest.parameters, loaded);
        return;
      }
      const folder = await fetchArtifacts(target, manifest, adoption, { signal, offline });
      if (manifest.role === "generation") await applyGeneration(target, manifest, folder, loaded);
      else await applyEmbedding(target, manifest, folder, loaded);
    },
  };
}

async function fetchArtifacts(
  target: ApplierTarget,
  manifest: GenerationManifest | EmbeddingManifest,
  adoption: Adoption,
  options: { signal: AbortSignal; offline: boolean },
): Promise<string> {
  try {
    await target.store.pull(manifest, {
      // Offline (a restart) means the store alone: never the network.
      fetchers: options.offline ? {} : target.fetchers,
      signal: options.signal,
      manifestDigest: adoption.digest,
    });
  } catch (error) {
    if (error instanceof PullError) {
      const bad = error.attempts.find((a) => a.kind === "digest" || a.kind === "oversize");
      if (bad) throw new AdoptionError("ARTIFACT_MISMATCH", error.message, { transient: false, cause: error });
      if (options.offline) throw new AdoptionError("NOT_IN_STORE", error.message, { transient: false, cause: error });
      if (error.attempts.length === 0) throw new AdoptionError("NO_SOURCE", error.message, { transient: false, cause: error });
      if (error.attempts.every((a) => a.kind === "unsupported")) throw new AdoptionError("UNSUPPORTED_SOURCE", error.message, { transient: false, cause: error });
      throw new AdoptionError("SOURCE_UNREACHABLE", error.message, { transient: true, cause: error });
    }
    throw error;
  }
  return target.store.materialize(manifest);
}

async function applyGeneration(target: ApplierTarget, manifest: GenerationManifest, folder: string, loaded: LoadedManifest): Promise<void> {
  const modelPath = path.join(folder, manifest.model.artifacts[0]!.path);
  await target.loadGeneration({ modelPath, name: manifest.name, manifest: loaded }, async (engine) => {
    const result = await engine.complete({ prompt: "Hello", maxTokens: 4, temperature: 0, seed: 1 });
    if (!Number.isFinite(result.ms) || result.finishReason === "abort") throw smokeFailure(manifest.name, "generation did not complete");
  });
}

async function applyEmbedding(target: ApplierTarget, manifest: EmbeddingManifest, folder: string, loaded: LoadedManifest): Promise<void> {
  const [model, ...rest] = manifest.model.artifacts;
  const tokenizer = rest.find((a) => /(^|\/)(vocab\.txt|tokenizer\.json)$/.test(a.path));
  await target.loadEmbedding(
    {
      model: path.join(folder, model!.path),
      ...(tokenizer ? { tokenizer: path.join(folder, tokenizer.path) } : {}),
      name: manifest.name,
      manifest: loaded,
    },
    async (engine) => {
      const [vector] = await engine.embed(["smoke test"]);
      if (!vector || vector.length !== manifest.model.dimensions) {
        throw smokeFailure(manifest.name, `embedding has ${vector?.length ?? 0} dimensions, the manifest says ${manifest.model.dimensions}`);
      }
      let norm = 0;
      for (const x of vector) norm += x * x;
      if (!Number.isFinite(norm) || Math.abs(Math.sqrt(norm) - 1) > 1e-3) throw smokeFailure(manifest.name, "embedding is not a unit vector");
    },
  );
}

function smokeFailure(name: string, why: string): AdoptionError {
  return new AdoptionError("SMOKE_TEST_FAILED", `${name} failed its smoke test: ${why}`, { transient: false });
}
