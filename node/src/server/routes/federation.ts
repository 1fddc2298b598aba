/**
 * The federated cache's HTTP face: `GET /api/federation` (peer id, addresses, topic, peers, the
 * peer answer store) and `POST /api/federation/lookup` (a gateway's local miss: the verified
 * peer answer for its cache key and prompt, or `{answer: null}`). The lookup changes nothing,
 * so it needs no admin token.
 */
import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import type { FederatedLookupResponse, FederationStatus } from "@ns-llm/contracts";
import { parseBody } from "../validate.ts";

export type FederationRoutesOptions = {
  status: () => FederationStatus;
  /** Absent when the node runs no federation: every lookup misses. */
  lookup?: (key: string, prompt: string) => FederatedLookupResponse["answer"];
};

const lookupBody = z.object({ key: z.string().min(1).max(4096), prompt: z.string().min(1).max(100_000) }).strict();

export const federationRoutes: FastifyPluginAsync<FederationRoutesOptions> = async (app, { status, lookup }) => {
  app.get("/api/federation", async () => status());
  app.post("/api/federation/lookup", { config: { admin: false } }, async (request): Promise<FederatedLookupResponse> => {
    const { key, prompt } = parseBody(lookupBody, request.body);
    return { answer: lookup?.(key, prompt) ?? null };
  });
};
