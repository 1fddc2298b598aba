/**
 * The gateway database's schema: ONE list of steps for the whole file. `migrate` keeps a single
 * version number per database (PRAGMA user_version), so the document store and the cache cannot
 * each bring a list of their own: the second would find the version already at 1 and skip its
 * table. Steps are only ever appended.
 */
import type { DatabaseSync } from "node:sqlite";
import { migrate, type Migration } from "../db/index.ts";

const MIGRATIONS: Migration[] = [
  `CREATE TABLE documents (id TEXT PRIMARY KEY, title TEXT, text TEXT NOT NULL, added_at TEXT NOT NULL)`,
  `CREATE TABLE cache (
     id INTEGER PRIMARY KEY AUTOINCREMENT, settings TEXT NOT NULL, prompt TEXT NOT NULL,
     embedding BLOB NOT NULL, answer TEXT NOT NULL, model TEXT NOT NULL, ms REAL NOT NULL,
     created_at INTEGER NOT NULL, hits INTEGER NOT NULL DEFAULT 0);
   CREATE INDEX cache_settings ON cache (settings, created_at);
   CREATE INDEX cache_prompt ON cache (settings, prompt);`,
  // Which embedding model made an entry's vector: vectors of two models are not comparable, even
  // at the same dimension (a governed swap). Older entries ('') still answer exact repeats.
  `ALTER TABLE cache ADD COLUMN embedding_space TEXT NOT NULL DEFAULT ''`,
  // A row of a table document: its document, number and fields as JSON (NULL for prose), so that
  // answers quoting it cite the row.
  `ALTER TABLE documents ADD COLUMN row_json TEXT`,
  // An image document: the image itself (base64, bounded), embedded by the node's vision role.
  `ALTER TABLE documents ADD COLUMN image TEXT`,
];

/** Brings a gateway database to the current schema (cheap when it is there already). */
export function migrateGatewayDatabase(db: DatabaseSync): void {
  migrate(db, MIGRATIONS);
}
