/**
 * Opens the node's SQLite databases (node:sqlite, built into Node 22) with the settings every one
 * of them needs, and brings their schema up to date.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";

export type OpenDatabaseParameters = {
  /** How long a writer waits for another connection's lock before failing (ms). */
  busyTimeoutMs?: number;
  readOnly?: boolean;
};

/**
 * Opens (creating it and its folder if needed) the database at `file`: WAL journal, so readers
 * never block the writer; `synchronous=FULL`, so a committed transaction survives a power cut, not
 * only a crash; a busy timeout, so two processes on one file wait for each other instead of failing
 * at once; foreign keys enforced.
 */
export function openDatabase(file: string, parameters: OpenDatabaseParameters = {}): DatabaseSync {
  const { busyTimeoutMs = 5_000, readOnly = false } = parameters;
  if (!readOnly && file !== ":memory:") mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new DatabaseSync(file, { readOnly, timeout: busyTimeoutMs, enableForeignKeyConstraints: true });
  try {
    if (!readOnly) db.exec("PRAGMA journal_mode = WAL");
    db.exec(`PRAGMA synchronous = FULL; PRAGMA busy_timeout = ${Math.trunc(busyTimeoutMs)}; PRAGMA foreign_keys = ON`);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/** One schema step: SQL text, or a function for steps SQL alone cannot express. */
export type Migration = string | ((db: DatabaseSync) => void);

/**
 * Applies the steps of `migrations` that `db` has not seen yet, each in its own transaction, and
 * records how many it has seen in `PRAGMA user_version`. Steps are only ever appended to the list,
 * never edited, so a database of any age reaches the current schema. Safe when two processes
 * start at once: the version is read again under the write lock.
 * Returns the schema version the database is at.
 */
export function migrate(db: DatabaseSync, migrations: readonly Migration[]): number {
  const version = () => Number((db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version);
  if (version() > migrations.length) {
    throw new Error(`the database is at schema version ${version()}, newer than this program knows (${migrations.length}); upgrade ns-llm`);
  }
  while (version() < migrations.length) {
    db.exec("BEGIN IMMEDIATE");
    try {
      const current = version();
      if (current < migrations.length) {
        const step = migrations[current]!;
        if (typeof step === "string") db.exec(step);
        else step(db);
        db.exec(`PRAGMA user_version = ${current + 1}`);
      }
      db.exec("COMMIT");
    } catch (error) {
      db.exec("ROLLBACK");
      throw error;
    }
  }
  return version();
}
