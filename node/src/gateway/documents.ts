/**
 * The gateway's document collection, kept in its database so that search survives restarts and
 * works while the node is down. Markdown is cut into sections by the search module's own rules;
 * a row of a table document (tables.ts) keeps its document, number and fields; an image document
 * keeps its image (checked and bounded when added) beside its caption.
 */
import type { DatabaseSync } from "node:sqlite";
import type { SearchDocument } from "../search/index.ts";
import { migrateGatewayDatabase } from "./schema.ts";

/** Bounds that keep one bad file from filling the database or the index. */
export const MAX_DOCUMENT_CHARS = 64 * 1024;

export type DocumentStore = {
  add(docs: readonly SearchDocument[]): number;
  all(): SearchDocument[];
  count(): number;
};

export function openDocumentStore(db: DatabaseSync): DocumentStore {
  migrateGatewayDatabase(db);
  const insert = db.prepare(
    `INSERT INTO documents (id, title, text, added_at, row_json, image) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET title = excluded.title, text = excluded.text, added_at = excluded.added_at, row_json = excluded.row_json, image = excluded.image`,
  );
  return {
    add(docs) {
      const now = new Date().toISOString();
      db.exec("BEGIN IMMEDIATE");
      try {
        for (const d of docs) {
          if (!d.id || !d.text.trim()) continue;
          insert.run(d.id.slice(0, 512), d.title?.slice(0, 512) ?? null, d.text.slice(0, MAX_DOCUMENT_CHARS), now, d.row ? JSON.stringify(d.row) : null, d.image ?? null);
        }
        db.exec("COMMIT");
      } catch (error) {
        db.exec("ROLLBACK");
        throw error;
      }
      return docs.length;
    },
    all() {
      const rows = db.prepare("SELECT id, title, text, row_json, image FROM documents ORDER BY id").all() as Array<{ id: string; title: string | null; text: string; row_json: string | null; image: string | null }>;
      return rows.map((r) => {
        const d: SearchDocument = { id: r.id, text: r.text };
        if (r.title !== null) d.title = r.title;
        if (r.row_json !== null) d.row = JSON.parse(r.row_json) as SearchDocument["row"];
        if (r.image !== null) d.image = r.image;
        return d;
      });
    },
    count() {
      return Number((db.prepare("SELECT COUNT(*) AS n FROM documents").get() as { n: number }).n);
    },
  };
}
