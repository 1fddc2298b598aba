/**
 * `POST /documents`: adds a document to the gateway's collection over HTTP (the CLI's
 * `ns-llm gateway add` writes the same store). Structured data (CSV, a JSON array of objects,
 * Markdown tables) becomes one searchable unit per row (tables.ts); Markdown prose becomes
 * sections. A refused document is a 400 and nothing of it is kept.
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { ApiError } from "../server/index.ts";
import type { DocumentStore } from "./documents.ts";
import { formatOfName, tableDocuments } from "./tables.ts";

const documentBody = z.object({
  /** The document's name: ids of its rows are `<name>#row-<n>`, and answers cite it. */
  name: z.string().min(1).max(200).regex(/^[^\s#][^#\n]*$/, "a name without '#' or newlines"),
  /** Default: from the name's extension (.csv, .json, .md). */
  format: z.enum(["csv", "json", "markdown"]).optional(),
  content: z.string().min(1),
});

export function registerDocumentRoutes(app: FastifyInstance, p: { documents: DocumentStore; onAdded: () => void }): void {
  app.post("/documents", async (request) => {
    const body = documentBody.parse(request.body);
    const format = body.format ?? formatOfName(body.name);
    if (!format) throw new ApiError(400, "invalid_request", `cannot tell the format of "${body.name}": give format (csv, json or markdown) or a name ending in .csv, .json or .md`);
    const docs = tableDocuments(body.name, format, body.content);
    if (docs.length === 0) throw new ApiError(400, "invalid_table", `"${body.name}" holds nothing to search`);
    p.documents.add(docs);
    p.onAdded();
    return { name: body.name, format, added: docs.length, rows: docs.filter((d) => d.row).length, total: p.documents.count() };
  });
}
