/**
 * `POST /documents`: adds a document to the gateway's collection over HTTP (the CLI's
 * `ns-llm gateway add` writes the same store). Structured data (CSV, a JSON array of objects,
 * Markdown tables) becomes one searchable unit per row (tables.ts); Markdown prose becomes
 * sections. An image (a data URL or base64, bounded in bytes and pixels, decoded once here to
 * check it) is one unit whose caption is its text, embedded by the node's vision role. A refused
 * document is a 400 and nothing of it is kept.
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { imageBytes, preprocessImage } from "../inference/vision/index.ts";
import { ApiError } from "../server/index.ts";
import { MAX_DOCUMENT_CHARS, type DocumentStore } from "./documents.ts";
import { formatOfName, tableDocuments } from "./tables.ts";

const documentBody = z.object({
  /** The document's name: ids of its rows are `<name>#row-<n>`, and answers cite it. */
  name: z.string().min(1).max(200).regex(/^[^\s#][^#\n]*$/, "a name without '#' or newlines"),
  /** Default: from the name's extension (.csv, .json, .md, .txt, .png, .jpg, .jpeg, .webp, ...). */
  format: z.enum(["csv", "json", "markdown", "text", "image"]).optional(),
  content: z.string().min(1),
  /** An image's caption (its text for BM25 and in answers); default its name. */
  caption: z.string().min(1).max(2_000).optional(),
});

const IMAGE_NAME = /\.(png|jpe?g|webp|gif|avif|tiff?)$/i;

export function registerDocumentRoutes(app: FastifyInstance, p: { documents: DocumentStore; onAdded: () => void }): void {
  app.post("/documents", async (request) => {
    const body = documentBody.parse(request.body);
    const format = body.format ?? (IMAGE_NAME.test(body.name) ? "image" : /\.txt$/i.test(body.name) ? "text" : formatOfName(body.name));
    if (format === "image") {
      // Decoded once (bounds, a real image) so that nothing broken is kept; the node embeds it later.
      const bytes = imageBytes(body.content);
      await preprocessImage(bytes, { size: 8 });
      const doc = { id: `${body.name}#image`, title: body.name, text: body.caption ?? body.name, image: bytes.toString("base64") };
      p.documents.add([doc]);
      p.onAdded();
      return { name: body.name, format, added: 1, rows: 0, bytes: bytes.byteLength, total: p.documents.count() };
    }
    if (body.caption !== undefined) throw new ApiError(400, "invalid_request", "caption is for image documents");
    if (format === "text") {
      // Plain text: one unit, embedded as written (no title in front of it).
      if (body.content.length > MAX_DOCUMENT_CHARS) throw new ApiError(400, "invalid_request", `"${body.name}" is ${body.content.length} characters; a text document may have at most ${MAX_DOCUMENT_CHARS}`);
      p.documents.add([{ id: `${body.name}#text`, text: body.content }]);
      p.onAdded();
      return { name: body.name, format: "text", added: 1, rows: 0, total: p.documents.count() };
    }
    if (!format) throw new ApiError(400, "invalid_request", `cannot tell the format of "${body.name}": give format (csv, json, markdown, text or image) or a name ending in .csv, .json, .md, .txt or an image extension`);
    const docs = tableDocuments(body.name, format, body.content);
    if (docs.length === 0) throw new ApiError(400, "invalid_table", `"${body.name}" holds nothing to search`);
    p.documents.add(docs);
    p.onAdded();
    return { name: body.name, format, added: docs.length, rows: docs.filter((d) => d.row).length, total: p.documents.count() };
  });
}
