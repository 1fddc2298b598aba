/**
 * The native API: POST /embed and POST /generate (JSON, or SSE with `stream: true`). Bodies carry
 * their provenance (`model`, `manifest`, `auditSeq`) besides the x-ns-llm-* headers.
 */
import type { EmbedResponse, GenerateResponse, GenerateStreamEvent, GenerateSummary } from "@ns-llm/contracts";
import type { FastifyPluginAsync } from "fastify";
import type { EmbeddingService, GenerationOutcome, GenerationService, VisionService } from "../../serving/index.ts";
import { UnavailableError } from "../../serving/index.ts";
import { embedBody, generateBody } from "../body-schemas.ts";
import { splitEmbeddingInput } from "../image-inputs.ts";
import { clientSignal, stopList } from "../client-signal.ts";
import { provenanceHeaders } from "../provenance-headers.ts";
import { openSse } from "../sse.ts";
import { parseBody } from "../validate.ts";
import { vectorsJson } from "../vectors-json.ts";

export type NativeRoutesOptions = { generation: GenerationService; embedding: EmbeddingService; vision?: VisionService };

export const nativeRoutes: FastifyPluginAsync<NativeRoutesOptions> = async (app, { generation, embedding, vision }) => {
  app.post("/embed", async (request, reply) => {
    const { input } = parseBody(embedBody, request.body);
    const split = splitEmbeddingInput(input);
    if ("images" in split) {
      if (!vision) throw new UnavailableError("vision_unavailable", "this node serves no vision role");
      const r = await vision.embed({ images: split.images, route: "/embed", signal: clientSignal(reply) });
      const manifest = r.manifest.cid ?? null;
      reply.headers(provenanceHeaders({ model: r.model, manifest, auditSeq: r.auditSeq }));
      reply.type("application/json; charset=utf-8");
      // An EmbedResponse, plus `paired`: whether the adopted text model shares the encoder's space.
      return `{"model":${JSON.stringify(r.model)},"dimensions":${r.dimensions},"embeddings":${vectorsJson(r.vectors)},"manifest":${JSON.stringify(manifest)},"auditSeq":${JSON.stringify(r.auditSeq)},"paired":${r.paired}}`;
    }
    const r = await embedding.embed({ texts: split.texts, route: "/embed", signal: clientSignal(reply) });
    const { model, dimensions, manifest, auditSeq }: Omit<EmbedResponse, "embeddings"> = { ...r, manifest: r.manifest.cid ?? null };
    reply.headers(provenanceHeaders({ model, manifest, auditSeq }));
    // An EmbedResponse, its vectors written directly (vectors-json.ts).
    reply.type("application/json; charset=utf-8");
    return `{"model":${JSON.stringify(model)},"dimensions":${dimensions},"embeddings":${vectorsJson(r.vectors)},"manifest":${JSON.stringify(manifest)},"auditSeq":${JSON.stringify(auditSeq)}}`;
  });

  app.post("/generate", async (request, reply) => {
    const body = parseBody(generateBody, request.body);
    const base = {
      kind: "complete" as const,
      route: "/generate",
      stream: body.stream === true,
      prompt: body.prompt,
      maxTokens: body.maxTokens,
      sampling: { temperature: body.temperature, topP: body.topP, topK: body.topK, repeatPenalty: body.repeatPenalty, seed: body.seed, stop: stopList(body.stop) },
      format: body.format === undefined ? undefined : body.format === "json" ? { type: "json_object" as const } : { type: "json_schema" as const, schema: body.format },
    };
    const summary = (o: GenerationOutcome): GenerateSummary => ({
      model: o.model, source: o.source, tokens: o.tokens, promptTokens: o.promptTokens, finishReason: o.finishReason,
      ms: Math.round(o.ms), firstTokenMs: o.firstTokenMs === null ? null : Math.round(o.firstTokenMs),
      manifest: o.manifest?.cid ?? null, auditSeq: o.auditSeq, ...(o.fallbackReason ? { reason: o.fallbackReason } : {}),
      ...(o.validation ? { validation: o.validation } : {}),
    });

    if (!body.stream) {
      const o = await generation.generate({ ...base, signal: clientSignal(reply) });
      reply.headers(provenanceHeaders({ model: o.model, manifest: o.manifest?.cid ?? null, auditSeq: o.auditSeq, source: o.source }));
      return { text: o.text, ...summary(o) } satisfies GenerateResponse;
    }

    const signal = clientSignal(reply);
    const sse = openSse(reply);
    try {
      const o = await generation.generate({
        ...base,
        signal,
        onStart: (origin) => sse.setHeaders(provenanceHeaders({ model: origin.model, manifest: origin.manifest?.cid ?? null, source: origin.source })),
        onToken: (token) => sse.send({ token } satisfies GenerateStreamEvent),
      });
      sse.send({ done: true, ...summary(o) } satisfies GenerateStreamEvent);
      sse.end();
    } catch (error) {
      sse.fail(error);
    }
  });
};
