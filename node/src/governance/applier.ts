/**
 * Applies a verified manifest to the running node: fetch and verify its artifacts into the store
 * (the store first, then each source in order), materialize them as files, load the new engine
 * beside the current one, smoke-test it, and only then swap. A `parameters` manifest applies at
 * once. Every failure is an AdoptionError that says whether retrying can help.
 */
import path from "node:path";
import type { LoadedManifest } from "../inference/model-slot.ts";
import { PullError, SourceError, type ModelStore, type SourceFetcher, type SourceFetchers } from "../inference/store/index.ts";
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
      target.log?.(`${offline ? "restoring" : "fetching"} ${manifest.role} v${adoption.version} ${manifest.name}: ${manifest.model.artifacts.length} artifact(s)`);
      const folder = await fetchArtifacts(target, manifest, adoption, { signal, offline });
      // Operators (and the crash tests) see when the new model is being loaded beside the current one.
      target.log?.(`loading ${manifest.role} v${adoption.version} ${manifest.name} beside the current model`);
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
      fetchers: options.offline ? {} : immutableSources(target.fetchers, manifest),
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

/** URL schemes whose content cannot change under its address. */
const CONTENT_ADDRESSED = ["ipfs:"];

/**
 * A content-addressed source that ends cleanly before the artifact's declared size will never
 * hold more: it is the wrong content (a truncated file), not a transfer to resume. Without this
 * the store keeps the part "for resuming" and the follower retries it forever as unreachable.
 * An interrupted transfer (the stream throws) is left to the store's resume logic.
 */
function immutableSources(fetchers: SourceFetchers, manifest: GenerationManifest | EmbeddingManifest): SourceFetchers {
  const sizes = new Map<string, number | null>();
  for (const artifact of manifest.model.artifacts) {
    for (const source of artifact.sources) {
      const key = new URL(source).href; // the form the store hands the fetcher
      // One URL declared with two sizes: no single truth to check against, leave it to the store.
      sizes.set(key, sizes.has(key) && sizes.get(key) !== artifact.size ? null : artifact.size);
    }
  }
  const wrapped: SourceFetchers = { ...fetchers };
  for (const scheme of CONTENT_ADDRESSED) {
    const inner = fetchers[scheme];
    if (!inner) continue;
    wrapped[scheme] = (async (url, options) => {
      const size = sizes.get(url.href);
      const body = await inner(url, options);
      if (size === undefined || size === null) return body;
      return (async function* () {
        let received = options.offset;
        for await (const chunk of body) {
          received += chunk.byteLength;
          yield chunk;
        }
        if (received < size) {
          throw new SourceError(`holds ${received} bytes, the manifest says ${size}: content under a CID cannot grow, this is another file`, "digest");
        }
      })();
    }) satisfies SourceFetcher;
  }
  return wrapped;
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
