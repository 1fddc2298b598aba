/**
 * The audit log over HTTP, as a fastify plugin the server registers:
 *
 * - `GET /api/audit?from=0&limit=100` -> `{"entries": [{"seq", "type", "time", "leaf", "prev", ...}],
 *   "total", "next"}`; `limit` is 1..1000 (default 100), `from` defaults to 0.
 * - `GET /api/audit/:seq/proof` -> `{"seq", "leaf", "entry", "root", "batch": {"index", "fromSeq",
 *   "toSeq", "size", "txHash", "chainId", "contract", "node"}, "index", "proof": ["0x..."]}`.
 *   404 `not_found` for a seq the log does not have; 409 `not_batched` (with Retry-After) while the
 *   entry's batch is still open: the entry exists, its proof does not yet.
 * - `GET /api/audit/batches?from=0&limit=100` -> `{"batches": [{"index", "fromSeq", "toSeq", "root",
 *   "closedAt", "txHash", "chainId", "contract", "node", "anchoredAt"}], "total"}`.
 *
 * Bad input: 400 `{"error": {"code": "invalid_request", "message"}}`.
 */
import type { AuditBatchesResponse, AuditEntriesResponse, AuditProof } from "@ns-llm/contracts";
import type { FastifyPluginAsync, FastifyReply } from "fastify";
import { z } from "zod";
import { AuditLogError, type AuditLog } from "../../audit/index.ts";

export const AUDIT_PAGE_DEFAULT = 100;
export const AUDIT_PAGE_MAX = 1_000;

export type AuditRoutesOptions = {
  log: AuditLog;
  /** Seconds a client should wait for an open batch to close (the batch interval). Default 30. */
  retryAfterSeconds?: number;
};

const index = z.string().regex(/^\d{1,15}$/, "must be a whole number").transform(Number);
const page = z.object({
  from: index.optional().default(0),
  limit: index
    .optional()
    .default(AUDIT_PAGE_DEFAULT)
    .pipe(z.number().min(1, "must be at least 1").max(AUDIT_PAGE_MAX, `must be at most ${AUDIT_PAGE_MAX}`)),
});
const proofParams = z.object({ seq: index });

/** The audit routes over `log`. */
export const auditRoutes: FastifyPluginAsync<AuditRoutesOptions> = async (app, { log, retryAfterSeconds }) => {
  const retryAfter = String(Math.max(1, Math.ceil(retryAfterSeconds ?? 30)));
  {
    app.get("/api/audit", async (request, reply) => {
      const query = page.safeParse(request.query ?? {});
      if (!query.success) return invalid(reply, query.error);
      const { from, limit } = query.data;
      const entries = log.entries(from, limit).map((r) => ({ ...r.entry, seq: r.seq, leaf: r.leaf }));
      const last = entries[entries.length - 1];
      return { entries, total: log.size, next: last ? last.seq + 1 : from } satisfies AuditEntriesResponse;
    });

    app.get("/api/audit/batches", async (request, reply) => {
      const query = page.safeParse(request.query ?? {});
      if (!query.success) return invalid(reply, query.error);
      const { from, limit } = query.data;
      const batches = log.batches(from, limit).map((b) => ({
        index: b.index,
        fromSeq: b.fromSeq,
        toSeq: b.toSeq,
        size: b.size,
        root: b.root,
        closedAt: b.closedAt,
        txHash: b.anchor?.txHash ?? null,
        chainId: b.anchor?.chainId ?? null,
        contract: b.anchor?.contract ?? null,
        node: b.anchor?.node ?? null,
        anchoredAt: b.anchor?.anchoredAt ?? null,
      }));
      return { batches, total: log.status().batches } satisfies AuditBatchesResponse;
    });

    app.get("/api/audit/:seq/proof", async (request, reply) => {
      const params = proofParams.safeParse(request.params);
      if (!params.success) return invalid(reply, params.error);
      try {
        return log.proof(params.data.seq) satisfies AuditProof;
      } catch (error) {
        if (!(error instanceof AuditLogError)) throw error;
        if (error.code === "not_found") return send(reply, 404, "not_found", error.message);
        if (error.code === "not_batched") {
          reply.header("retry-after", retryAfter);
          return send(reply, 409, "not_batched", error.message);
        }
        throw error;
      }
    });
  }
};

function invalid(reply: FastifyReply, error: z.ZodError, prefix?: string): FastifyReply {
  const message = error.issues.map((i) => `${[prefix, ...i.path].filter(Boolean).join(".")} ${i.message}`).join("; ");
  return send(reply, 400, "invalid_request", message);
}

function send(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).type("application/json").send({ error: { code, message } });
}
