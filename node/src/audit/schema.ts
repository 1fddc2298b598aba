/**
 * The audit database (`<home>/audit.db`). Steps are only ever appended (db/open.ts `migrate`).
 *
 * - entries: one row per log entry: `entry` holds its canonical JSON bytes (what the leaf hash
 *   covers), `leaf` its RFC 6962 leaf hash, `type` a copy of its type for queries only (the
 *   verifier trusts the bytes, never this column).
 * - batches: consecutive ranges of entries closed into a Merkle tree, with their root, and, once
 *   anchored, where (chain, contract, operator address) and by which transaction.
 */
import type { Migration } from "../db/index.ts";

export const AUDIT_MIGRATIONS: readonly Migration[] = [
  `CREATE TABLE entries (
     seq  INTEGER PRIMARY KEY CHECK (seq >= 0),
     type TEXT NOT NULL,
     entry BLOB NOT NULL,
     leaf BLOB NOT NULL
   ) STRICT;
   CREATE TABLE batches (
     idx INTEGER PRIMARY KEY CHECK (idx >= 0),
     from_seq INTEGER NOT NULL UNIQUE,
     to_seq INTEGER NOT NULL,
     root BLOB NOT NULL,
     closed_at TEXT NOT NULL,
     tx_hash TEXT,
     chain_id INTEGER,
     contract TEXT,
     node TEXT,
     block_number INTEGER,
     gas_used INTEGER,
     fee_wei TEXT,
     anchored_at TEXT,
     attempts INTEGER NOT NULL DEFAULT 0,
     last_error TEXT,
     CHECK (to_seq >= from_seq)
   ) STRICT;`,
];
