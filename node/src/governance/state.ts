/**
 * What the follower has applied, where it is in the chain, and every attempt it made, kept in
 * node:sqlite (WAL, synchronous FULL) so that a restart resumes from the last applied state
 * without the network.
 */
import type { DatabaseSync } from "node:sqlite";
import { ROLES, type AppliedRole, type Attempt, type AttemptStatus, type Role } from "@ns-llm/contracts";
import { migrate, openDatabase, type Migration } from "../db/index.ts";

export type AppliedManifest = {
  role: Role;
  version: number;
  cid: string;
  digest: string;
  /** The manifest's exact bytes, so a restart needs neither chain nor IPFS. */
  manifest: string;
  appliedAt: string;
};

export type { Attempt, AttemptStatus };

const MIGRATIONS: Migration[] = [
  `CREATE TABLE applied (
     role TEXT PRIMARY KEY, version INTEGER NOT NULL, cid TEXT NOT NULL, digest TEXT NOT NULL,
     manifest TEXT NOT NULL, applied_at TEXT NOT NULL);
   CREATE TABLE cursor (chain_id INTEGER NOT NULL, registry TEXT NOT NULL,
     block INTEGER NOT NULL, PRIMARY KEY (chain_id, registry));
   CREATE TABLE attempts (
     id INTEGER PRIMARY KEY AUTOINCREMENT, role TEXT NOT NULL, version INTEGER NOT NULL,
     cid TEXT NOT NULL, status TEXT NOT NULL, code TEXT, reason TEXT, tries INTEGER NOT NULL DEFAULT 0,
     time TEXT NOT NULL, UNIQUE (role, version, cid));`,
  // The operator's version of a refusal: what the sources answered (never public, see PullError).
  `ALTER TABLE attempts ADD COLUMN detail TEXT;`,
];

export class FollowerState {
  #db: DatabaseSync;

  constructor(file: string) {
    this.#db = openDatabase(file);
    migrate(this.#db, MIGRATIONS);
  }

  applied(role: Role): AppliedManifest | undefined {
    const row = this.#db.prepare("SELECT * FROM applied WHERE role = ?").get(role) as Record<string, unknown> | undefined;
    if (!row) return undefined;
    return {
      role: row.role as Role,
      version: Number(row.version),
      cid: String(row.cid),
      digest: String(row.digest),
      manifest: String(row.manifest),
      appliedAt: String(row.applied_at),
    };
  }

  /** What every role runs, as /api/governance shows it. */
  appliedRoles(): Partial<Record<Role, AppliedRole>> {
    const roles: Partial<Record<Role, AppliedRole>> = {};
    for (const role of ROLES) {
      const a = this.applied(role);
      if (a) roles[role] = { version: a.version, cid: a.cid, model: nameOf(a.manifest), appliedAt: a.appliedAt };
    }
    return roles;
  }

  /** Records `applied` as what `role` runs, and marks its attempt applied, in one transaction. */
  markApplied(applied: AppliedManifest): void {
    this.#transaction(() => {
      this.#db
        .prepare(
          `INSERT INTO applied (role, version, cid, digest, manifest, applied_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (role) DO UPDATE SET version = excluded.version, cid = excluded.cid,
             digest = excluded.digest, manifest = excluded.manifest, applied_at = excluded.applied_at`,
        )
        .run(applied.role, applied.version, applied.cid, applied.digest, applied.manifest, applied.appliedAt);
      this.recordAttempt(applied.role, applied.version, applied.cid, "applied", null, null);
    });
  }

  cursor(chainId: number, registry: string): number | undefined {
    const row = this.#db.prepare("SELECT block FROM cursor WHERE chain_id = ? AND registry = ?").get(chainId, registry.toLowerCase()) as
      | { block: number }
      | undefined;
    return row ? Number(row.block) : undefined;
  }

  setCursor(chainId: number, registry: string, block: number): void {
    this.#db
      .prepare(
        `INSERT INTO cursor (chain_id, registry, block) VALUES (?, ?, ?)
         ON CONFLICT (chain_id, registry) DO UPDATE SET block = excluded.block`,
      )
      .run(chainId, registry.toLowerCase(), block);
  }

  /** Upserts the attempt for (role, version, cid); a retry increments its `tries`. `detail` is for the operator only. */
  recordAttempt(role: Role, version: number, cid: string, status: AttemptStatus, code: string | null, reason: string | null, detail: string | null = null): void {
    this.#db
      .prepare(
        `INSERT INTO attempts (role, version, cid, status, code, reason, detail, tries, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (role, version, cid) DO UPDATE SET status = excluded.status, code = excluded.code,
           reason = excluded.reason, detail = excluded.detail, time = excluded.time,
           tries = attempts.tries + (CASE WHEN excluded.status IN ('failed', 'retrying', 'applied') THEN 1 ELSE 0 END)`,
      )
      .run(role, version, cid, status, code, reason, detail, status === "seen" || status === "superseded" ? 0 : 1, new Date().toISOString());
  }

  /**
   * The operator asks for another try of a refused adoption of `role` (the newest one refused):
   * its tries start again from 0 and the follower picks it up on its next poll. Returns it, or
   * undefined when no adoption of the role is refused.
   */
  requestRetry(role: Role): Attempt | undefined {
    const row = this.#db.prepare("SELECT * FROM attempts WHERE role = ? AND status = 'failed' ORDER BY version DESC, id DESC LIMIT 1").get(role);
    if (!row) return undefined;
    const attempt = toAttempt(row as Record<string, unknown>);
    this.#db
      .prepare("UPDATE attempts SET status = 'retrying', code = 'operator_retry', reason = 'the operator asked for another try', tries = 0, time = ? WHERE id = ?")
      .run(new Date().toISOString(), attempt.id);
    return { ...attempt, status: "retrying", tries: 0 };
  }

  /** Attempts with the operator's detail (ns-llm adoption list), newest first. */
  historyWithDetail(limit = 50): Array<Attempt & { detail: string | null }> {
    return (this.#db.prepare("SELECT * FROM attempts ORDER BY time DESC, id DESC LIMIT ?").all(limit) as Record<string, unknown>[]).map((row) => ({
      ...toAttempt(row),
      detail: (row.detail as string | null) ?? null,
    }));
  }

  attempt(role: Role, version: number, cid: string): Attempt | undefined {
    const row = this.#db.prepare("SELECT * FROM attempts WHERE role = ? AND version = ? AND cid = ?").get(role, version, cid);
    return row ? toAttempt(row as Record<string, unknown>) : undefined;
  }

  /** The newest attempts first. */
  history(limit = 50): Attempt[] {
    return (this.#db.prepare("SELECT * FROM attempts ORDER BY time DESC, id DESC LIMIT ?").all(limit) as Record<string, unknown>[]).map(toAttempt);
  }

  close(): void {
    this.#db.close();
  }

  #transaction(body: () => void): void {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      body();
      this.#db.exec("COMMIT");
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }
}

function toAttempt(row: Record<string, unknown>): Attempt {
  return {
    id: Number(row.id),
    role: row.role as Role,
    version: Number(row.version),
    cid: String(row.cid),
    status: row.status as AttemptStatus,
    code: (row.code as string | null) ?? null,
    reason: (row.reason as string | null) ?? null,
    tries: Number(row.tries),
    time: String(row.time),
  };
}

function nameOf(manifest: string): string {
  try {
    return String((JSON.parse(manifest) as { name?: unknown }).name ?? "");
  } catch {
    return "";
  }
}
