/**
 * Image embeddings, from the node's side: the `vision` role's slot (an adopted image encoder,
 * loaded beside the current one and swapped in; requests in flight keep the one they leased),
 * images checked against their bounds before any work (a bad one is a 400 and nothing is kept or
 * recorded), vectors recorded in the audit log before they are sent, and what /health says.
 *
 * The vectors are comparable with text vectors only in the space the encoder was made for: its
 * manifest names that embedding model (`pairedEmbedding`), and `paired` in /health and in each
 * answer says whether it is the one adopted now.
 */
import { createHash } from "node:crypto";
import type { Hex } from "viem";
import type { VisionHealth } from "@ns-llm/contracts";
import { ModelSlot, type LoadedManifest } from "../inference/index.ts";
import { createImageEncoder, imageBytes, ImageError, type ImageEncoder, type VisionSpec } from "../inference/vision/index.ts";
import type { NodeMetrics } from "../metrics.ts";
import { sha256OfVectors, type AnswerRecorder } from "./answer-record.ts";
import { countRejection, UnavailableError } from "./errors.ts";

/** Images of one request. */
export const MAX_IMAGES_PER_REQUEST = 16;

export type VisionOutcome = {
  vectors: Float32Array[];
  model: string;
  dimensions: number;
  manifest: LoadedManifest;
  /** True when the adopted embedding model is the one the encoder shares a space with. */
  paired: boolean;
  auditSeq: number | null;
};

export type VisionService = {
  /** Embeds images given as data URLs or base64 (`route` names the audit entry's route). */
  embed(request: { images: string[]; route: string; signal?: AbortSignal }): Promise<VisionOutcome>;
  load(spec: VisionSpec, control?: { signal?: AbortSignal }): Promise<void>;
  health(): VisionHealth;
  close(): Promise<void>;
};

export type VisionServiceDependencies = {
  metrics: NodeMetrics;
  recorder: AnswerRecorder;
  /** The embedding model served now (its manifest's name and dimensions), for `paired`. */
  embedding: () => { name: string; dimensions: number } | undefined;
};

type Loaded = ImageEncoder & { spec: VisionSpec };

export function createVisionService(deps: VisionServiceDependencies): VisionService {
  const slot = new ModelSlot<Loaded>();
  let loadError: string | undefined;

  const pairedNow = (info: ImageEncoder["info"]): boolean => {
    const text = deps.embedding();
    if (!text || text.dimensions !== info.dimensions) return false;
    return info.pairedEmbedding === null || info.pairedEmbedding === text.name;
  };

  async function embed({ images, route, signal }: { images: string[]; route: string; signal?: AbortSignal }): Promise<VisionOutcome> {
    const began = performance.now();
    if (images.length === 0) throw new ImageError("no image given");
    if (images.length > MAX_IMAGES_PER_REQUEST) throw new ImageError(`${images.length} images; at most ${MAX_IMAGES_PER_REQUEST} per request`);
    // Every image's bytes are checked before any is decoded.
    const bytes = images.map((image, i) => {
      try {
        return imageBytes(image);
      } catch (error) {
        throw new ImageError(`image ${i}: ${(error as Error).message}`, (error as ImageError).hint);
      }
    });
    const lease = slot.acquire();
    if (!lease) throw new UnavailableError("vision_unavailable", "no vision model is adopted: images cannot be embedded");
    try {
      signal?.throwIfAborted();
      const vectors = await lease.engine.embed(bytes);
      deps.metrics.embeddings.inc(images.length);
      const info = lease.engine.info;
      const auditSeq = await deps.recorder.record({
        route,
        model: info.name,
        manifest: lease.manifest.cid ?? null,
        source: "embedding",
        parameters: { images: images.length },
        inputSha256: imagesDigest(bytes),
        outputSha256: sha256OfVectors(vectors),
        ms: performance.now() - began,
      });
      return { vectors, model: info.name, dimensions: info.dimensions, manifest: lease.manifest, paired: pairedNow(info), auditSeq };
    } finally {
      lease.release();
    }
  }

  return {
    async embed(request) {
      try {
        return await embed(request);
      } catch (error) {
        countRejection(deps.metrics, error);
        throw error;
      }
    },

    async load(spec, control = {}) {
      try {
        control.signal?.throwIfAborted();
        const encoder = await createImageEncoder({ model: spec.model, name: spec.name, dimensions: spec.dimensions, image: spec.image, ...(spec.pairedEmbedding ? { pairedEmbedding: spec.pairedEmbedding } : {}) });
        if (control.signal?.aborted) {
          await encoder.dispose();
          control.signal.throwIfAborted();
        }
        slot.swap(Object.assign(encoder, { spec }), spec.manifest);
        deps.metrics.swaps.inc({ role: "vision" });
        loadError = undefined;
      } catch (error) {
        if (!control.signal?.aborted) loadError = (error as Error).message;
        throw error;
      }
    },

    health() {
      const lease = slot.acquire();
      try {
        if (!lease) return { ready: false, model: null, manifest: null, dimensions: null, pairedEmbedding: null, paired: false, ...(loadError ? { error: loadError } : {}) };
        const info = lease.engine.info;
        return {
          ready: true,
          model: info.name,
          manifest: lease.manifest.cid ?? null,
          dimensions: info.dimensions,
          pairedEmbedding: info.pairedEmbedding,
          paired: pairedNow(info),
          ...(loadError ? { error: loadError } : {}),
        };
      } finally {
        lease?.release();
      }
    },

    close: () => slot.close(),
  };
}

/** sha256 over the images' own sha256 digests, in order: one digest names the request's input. */
function imagesDigest(images: readonly Uint8Array[]): Hex {
  const hash = createHash("sha256");
  for (const image of images) hash.update(createHash("sha256").update(image).digest());
  return `0x${hash.digest("hex")}`;
}
