/**
 * The native API: POST /embed and POST /generate (JSON, or SSE with `stream: true`). Bodies carry
 * their provenance (`model`, `manifest`, `auditSeq`) besides the x-ns-llm-* headers.
 */
import type { FastifyInstance } from "fastify";
import { embedBody, generateBody } from "../body-schemas.ts";
import { clientSignal, stopList, type RouteContext } from "../context.ts";
import type { GenerationOutcome } from "../generation-service.ts";
import { provenanceHeaders, recordAnswer, sha256, sha256OfVectors } from "../provenance.ts";
import { openSse } from "../sse.ts";
import { parseBody } from "../validate.ts";
import { vectorsJson } from "../vectors-json.ts";
import { embedTexts } from "./embedding.ts";

export function registerNativeRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post("/embed", async (request, reply) => {
    const began = performance.now();
    const { input } = parseBody(embedBody, request.body);
    const texts = typeof input === "string" ? [input] : input;
    const r = await embedTexts(ctx, texts);
    const manifest = r.manifest.cid ?? null;
    const auditSeq = await recordAnswer({
      audit: ctx.audit, log: request.log, metrics: ctx.metrics,
      route: "/embed", model: r.model, manifest, source: "embedding",
      parameters: { inputs: texts.length },
      inputSha256: sha256(JSON.stringify(texts)), outputSha256: sha256OfVectors(r.vectors), ms: performance.now() - began,
    });
    reply.headers(provenanceHeaders({ model: r.model, manifest, auditSeq }));
    // { model, dimensions, embeddings, manifest, auditSeq }, the vectors written directly (vectors-json.ts).
    reply.type("application/json; charset=utf-8");
    return `{"model":${JSON.stringify(r.model)},"dimensions":${r.dimensions},"embeddings":${vectorsJson(r.vectors)},"manifest":${JSON.stringify(manifest)},"auditSeq":${JSON.stringify(auditSeq)}}`;
  });

  app.post("/generate", async (request, reply) => {
    const body = parseBody(generateBody, request.body);
    const base = {
      kind: "complete" as const,
      prompt: body.prompt,
      maxTokens: body.maxTokens,
      sampling: { temperature: body.temperature, topP: body.topP, topK: body.topK, repeatPenalty: body.repeatPenalty, seed: body.seed, stop: stopList(body.stop) },
    };
    const record = (o: GenerationOutcome) =>
      recordAnswer({
        audit: ctx.audit, log: request.log, metrics: ctx.metrics,
        route: "/generate", model: o.model, manifest: o.manifest?.cid ?? null, source: o.source,
        parameters: { ...o.parameters, finishReason: o.finishReason, tokens: o.tokens, stream: body.stream === true },
        inputSha256: sha256(body.prompt), outputSha256: sha256(o.text), ms: o.ms,
      });
    const summary = (o: GenerationOutcome, auditSeq: number | null) => ({
      model: o.model, source: o.source, tokens: o.tokens, promptTokens: o.promptTokens, finishReason: o.finishReason,
      ms: Math.round(o.ms), firstTokenMs: o.firstTokenMs === null ? null : Math.round(o.firstTokenMs),
      manifest: o.manifest?.cid ?? null, auditSeq, ...(o.fallbackReason ? { reason: o.fallbackReason } : {}),
    });

    if (!body.stream) {
      const outcome = await ctx.generation.generate({ ...base, signal: clientSignal(reply) });
      const auditSeq = await record(outcome);
      reply.headers(provenanceHeaders({ model: outcome.model, manifest: outcome.manifest?.cid ?? null, auditSeq, source: outcome.source }));
      return { text: outcome.text, ...summary(outcome, auditSeq) };
    }

    const signal = clientSignal(reply);
    const sse = openSse(reply);
    try {
      const outcome = await ctx.generation.generate({
        ...base,
        signal,
        onStart: (o) => sse.setHeaders(provenanceHeaders({ model: o.model, manifest: o.manifest?.cid ?? null, source: o.source })),
        onToken: (token) => sse.send({ token }),
      });
      const auditSeq = await record(outcome);
      sse.send({ done: true, ...summary(outcome, auditSeq) });
      sse.end();
    } catch (error) {
      sse.fail(error);
    }
  });
}
