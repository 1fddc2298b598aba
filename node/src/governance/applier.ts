/**
 * Applies a verified manifest to the running node: fetch and verify its artifacts into the store
 * (the store first, then each source in order), materialize them as files, load the new engine
 * beside the current one, smoke-test it, and only then swap. A `parameters` manifest applies at
 * once. Every failure is an AdoptionError that says whether retrying can help.
 *
 * The signal (the follower aborts an apply the chain has moved past) stops the download (the
 * partial file stays in the store for a later resume) and the load, and an engine loaded after
 * it fired is disposed instead of swapped in.
 */
import path from "node:path";
import type { EmbeddingEngine, GenerationEngine, LoadedManifest } from "../inference/index.ts";
import { PullError, SourceError, type ModelStore, type PullOptions, type SourceFetcher, type SourceFetchers } from "../inference/store/index.ts";
import type { VisionSpec } from "../inference/vision/index.ts";
import type { EmbeddingManifest, EvaluationManifest, GenerationManifest, Manifest, ManifestParameters, ModelManifest, ModerationManifest, VisionManifest } from "../manifest/index.ts";
import { AdoptionError } from "./errors.ts";
import type { Adoption, Applier } from "./types.ts";

/** Checks a freshly loaded engine before it serves anyone; throws when it is not fit. */
export type SmokeTest<E> = (engine: E) => Promise<void>;

/** How to load: the smoke test the new engine must pass, and the signal that abandons the load. */
export type LoadControl<E> = {
  smokeTest: SmokeTest<E>;
  signal: AbortSignal;
  /** Restoring what was applied before (a restart): no canary, it was judged when adopted. */
  offline: boolean;
};

export type ApplierTarget = {
  store: ModelStore;
  /** Fetchers by URL scheme besides http(s), e.g. `{ "ipfs:": ipfsSourceFetcher(ipfs) }`. */
  fetchers: SourceFetchers;
  /** Loads beside the current engine and swaps; once `signal` has fired it must not swap. */
  loadGeneration(spec: { modelPath: string; name: string; manifest: LoadedManifest }, control: LoadControl<GenerationEngine>): Promise<void>;
  loadEmbedding(spec: { model: string; tokenizer?: string; name: string; manifest: LoadedManifest }, control: LoadControl<EmbeddingEngine>): Promise<void>;
  /** Loads the toxicity classifier (the `moderation` role) beside the current one and swaps. */
  loadModeration?(spec: { model: string; tokenizer?: string; name: string; manifest: LoadedManifest }, control: { signal: AbortSignal }): Promise<void>;
  /** Loads the image encoder (the `vision` role) beside the current one and swaps; its load smoke-tests it. */
  loadVision?(spec: VisionSpec, control: { signal: AbortSignal }): Promise<void>;
  setParameters(parameters: ManifestParameters, manifest: LoadedManifest): void;
  /** Puts an adopted evaluation suite (role `evaluation`) in force for the node's dry-runs. */
  setEvaluation?(manifest: EvaluationManifest, loaded: LoadedManifest): void;
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
      if (manifest.role === "evaluation") {
        // Nothing to fetch or load: the suite the next dry-run asks proposed models.
        target.setEvaluation?.(manifest, loaded);
        return;
      }
      target.log?.(`${offline ? "restoring" : "fetching"} ${manifest.role} v${adoption.version} ${manifest.name}: ${manifest.model.artifacts.length} artifact(s)`);
      const folder = await fetchArtifacts(target, manifest, adoption, { signal, offline });
      signal.throwIfAborted();
      // Operators (and the crash tests) see when the new model is being loaded beside the current one.
      target.log?.(`loading ${manifest.role} v${adoption.version} ${manifest.name} beside the current model`);
      if (manifest.role === "generation") await applyGeneration(target, manifest, folder, loaded, signal, offline);
      else if (manifest.role === "moderation") await applyModeration(target, manifest, folder, loaded, signal);
      else if (manifest.role === "vision") await applyVision(target, manifest, folder, loaded, signal);
      else await applyEmbedding(target, manifest, folder, loaded, signal, offline);
    },
  };
}

async function fetchArtifacts(
  target: ApplierTarget,
  manifest: ModelManifest,
  adoption: Adoption,
  options: { signal: AbortSignal; offline: boolean },
): Promise<string> {
  try {
    await pullOwnDownload(target.store, manifest, {
      // Offline (a restart) means the store alone: never the network.
      fetchers: options.offline ? {} : immutableSources(target.fetchers, manifest),
      offline: options.offline,
      signal: options.signal,
      manifestDigest: adoption.digest,
    });
  } catch (error) {
    if (options.signal.aborted) throw error;
    if (error instanceof PullError) throw adoptionErrorOf(error, options.offline);
    throw error;
  }
  return target.store.materialize(manifest);
}

/**
 * A pull that no source could serve, as an adoption error: its public message is the error's
 * summary (sources and codes), the full message its `detail`. The store already tried every
 * source again while one failed in a way that can pass; what is left is transient only when
 * some source was unreachable (the follower retries a bounded number of times), permanent when
 * every source was refused, unsupported, or served other bytes.
 */
function adoptionErrorOf(error: PullError, offline: boolean): AdoptionError {
  const base = { cause: error, detail: error.message };
  const kinds = new Set(error.attempts.map((a) => a.kind));
  if (offline) return new AdoptionError("not_in_store", error.summary, { ...base, transient: false });
  if (error.attempts.length === 0) return new AdoptionError("no_source", error.summary, { ...base, transient: false });
  if (kinds.has("network") || kinds.has("truncated")) return new AdoptionError("source_unreachable", error.summary, { ...base, transient: true });
  if (kinds.has("digest") || kinds.has("oversize")) return new AdoptionError("artifact_mismatch", error.summary, { ...base, transient: false });
  if (kinds.has("refused")) {
    return new AdoptionError("source_refused", error.summary, { ...base, transient: false, hint: "sources must reach public addresses (NS_LLM_ALLOW_PRIVATE_SOURCES)" });
  }
  return new AdoptionError("unsupported_source", error.summary, { ...base, transient: false });
}

/**
 * The store shares one download between two pulls of the same blob, under the first puller's
 * signal: when that puller was aborted (an adoption superseded by one naming the same file), this
 * pull, not aborted itself, pulls again and resumes the part the other one left.
 */
async function pullOwnDownload(store: ModelStore, manifest: ModelManifest, options: PullOptions & { signal: AbortSignal }): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await store.pull(manifest, options);
      return;
    } catch (error) {
      const othersAbort = !options.signal.aborted && !(error instanceof PullError) && isAbort(error);
      if (!othersAbort || attempt >= 3) throw error;
    }
  }
}

function isAbort(error: unknown): boolean {
  const e = error as { name?: unknown; code?: unknown } | undefined;
  return e?.name === "AbortError" || e?.code === "superseded" || e?.code === "ABORT_ERR";
}

/** URL schemes whose content cannot change under its address. */
const CONTENT_ADDRESSED = ["ipfs:"];

/**
 * A content-addressed source that ends cleanly before the artifact's declared size will never
 * hold more: it is the wrong content (a truncated file), not a transfer to resume. Without this
 * the store keeps the part "for resuming" and the follower retries it forever as unreachable.
 * An interrupted transfer (the stream throws) is left to the store's resume logic.
 */
function immutableSources(fetchers: SourceFetchers, manifest: ModelManifest): SourceFetchers {
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

async function applyGeneration(target: ApplierTarget, manifest: GenerationManifest, folder: string, loaded: LoadedManifest, signal: AbortSignal, offline: boolean): Promise<void> {
  const modelPath = path.join(folder, manifest.model.artifacts[0]!.path);
  const smokeTest: SmokeTest<GenerationEngine> = async (engine) => {
    const result = await engine.complete({ prompt: "Hello", maxTokens: 4, temperature: 0, seed: 1 });
    signal.throwIfAborted();
    if (!Number.isFinite(result.ms) || result.finishReason === "abort") throw smokeFailure(manifest.name, "generation did not complete");
  };
  await target.loadGeneration({ modelPath, name: manifest.name, manifest: loaded }, { smokeTest, signal, offline });
}

async function applyEmbedding(target: ApplierTarget, manifest: EmbeddingManifest, folder: string, loaded: LoadedManifest, signal: AbortSignal, offline: boolean): Promise<void> {
  const [model, ...rest] = manifest.model.artifacts;
  const tokenizer = rest.find((a) => /(^|\/)(vocab\.txt|tokenizer\.json)$/.test(a.path));
  await target.loadEmbedding(
    {
      model: path.join(folder, model!.path),
      ...(tokenizer ? { tokenizer: path.join(folder, tokenizer.path) } : {}),
      name: manifest.name,
      manifest: loaded,
    },
    {
      signal,
      offline,
      smokeTest: async (engine) => {
        const [vector] = await engine.embed(["smoke test"]);
        signal.throwIfAborted();
        if (!vector || vector.length !== manifest.model.dimensions) {
          throw smokeFailure(manifest.name, `embedding has ${vector?.length ?? 0} dimensions, the manifest says ${manifest.model.dimensions}`);
        }
        let norm = 0;
        for (const x of vector) norm += x * x;
        if (!Number.isFinite(norm) || Math.abs(Math.sqrt(norm) - 1) > 1e-3) throw smokeFailure(manifest.name, "embedding is not a unit vector");
      },
    },
  );
}

/** The classifier's own load runs its smoke test (a score in [0, 1] for a probe text). */
async function applyModeration(target: ApplierTarget, manifest: ModerationManifest, folder: string, loaded: LoadedManifest, signal: AbortSignal): Promise<void> {
  if (!target.loadModeration) throw new AdoptionError("apply_failed", "this node cannot load a moderation model", { transient: false });
  const [model, ...rest] = manifest.model.artifacts;
  const tokenizer = rest.find((a) => /(^|\/)(vocab\.txt|tokenizer\.json)$/.test(a.path));
  await target.loadModeration(
    { model: path.join(folder, model!.path), ...(tokenizer ? { tokenizer: path.join(folder, tokenizer.path) } : {}), name: manifest.name, manifest: loaded },
    { signal },
  );
}

async function applyVision(target: ApplierTarget, manifest: VisionManifest, folder: string, loaded: LoadedManifest, signal: AbortSignal): Promise<void> {
  if (!target.loadVision) throw new AdoptionError("apply_failed", "this node cannot load a vision model", { transient: false });
  const { artifacts, dimensions, image, pairedEmbedding } = manifest.model;
  await target.loadVision(
    { model: path.join(folder, artifacts[0]!.path), name: manifest.name, dimensions, image, ...(pairedEmbedding ? { pairedEmbedding } : {}), manifest: loaded },
    { signal },
  );
}

function smokeFailure(name: string, why: string): AdoptionError {
  return new AdoptionError("smoke_test_failed", `${name} failed its smoke test: ${why}`, { transient: false });
}
