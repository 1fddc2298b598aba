"use client";
import type { UseQueryResult } from "@tanstack/react-query";
import type { AuditEntriesPage, AuditEntry } from "@/lib/audit-api.ts";
import { NodeProblem } from "../node/NodeProblem.tsx";
import { Badge, type Tone } from "../ui/Badge.tsx";
import { Button } from "../ui/Button.tsx";
import { Card } from "../ui/Card.tsx";
import { Hex } from "../ui/Hex.tsx";

const TONES: Record<string, Tone> = { request: "info", governance: "accent", anchor: "good", validation: "warn" };

/** What an entry is about, in a few words. */
function summary(e: AuditEntry): string {
  const s = (k: string) => (typeof e[k] === "string" || typeof e[k] === "number" ? String(e[k]) : undefined);
  if (e.type === "request") return [s("route"), s("model"), s("source") === "search" ? "from search" : undefined].filter(Boolean).join(" · ");
  if (e.type === "governance") return [s("step"), s("role"), s("version") && `v${s("version")}`].filter(Boolean).join(" · ");
  if (e.type === "anchor") return `batch ${s("batch")} (entries ${s("fromSeq")}–${s("toSeq")})`;
  if (e.type === "validation") return [s("rule"), s("reason")].filter(Boolean).join(": ");
  return "";
}

/** The newest entries of the node's audit log, each with a Verify action. */
export function AuditEntries({ entries, anchoredThrough, verifying, onVerify, onOlder }: {
  entries: UseQueryResult<AuditEntriesPage>;
  anchoredThrough: number | null | undefined;
  verifying: number | undefined;
  onVerify: (seq: number) => void;
  onOlder: (() => void) | undefined;
}) {
  const page = entries.data;
  return (
    <Card title="Recent entries" actions={page && <span className="small muted">{page.total} in the log</span>} testId="audit-entries">
      <NodeProblem query={entries} what="the audit log" />
      {entries.isPending && !entries.failureReason && <p className="empty">Reading the audit log…</p>}
      {page && page.entries.length === 0 && <p className="empty">The audit log is empty.</p>}
      {page && page.entries.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th className="num">Seq</th>
              <th>Type</th>
              <th>Time</th>
              <th>Leaf hash</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {page.entries.map((e) => (
              <tr key={e.seq} data-testid="audit-entry" data-seq={e.seq} aria-selected={verifying === e.seq}>
                <td className="num">{e.seq}</td>
                <td>
                  <Badge tone={TONES[e.type] ?? "neutral"}>{e.type}</Badge>
                  <div className="small muted">{summary(e)}</div>
                </td>
                <td className="small">{new Date(e.time).toLocaleString()}</td>
                <td>
                  <Hex value={e.leaf} />
                  <div className="small muted">{anchoredThrough !== null && anchoredThrough !== undefined && e.seq <= anchoredThrough ? "anchored" : "not anchored yet"}</div>
                </td>
                <td>
                  <Button size="small" onClick={() => onVerify(e.seq)} data-testid={`verify-${e.seq}`}>
                    Verify
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {onOlder && (
        <div className="row" style={{ marginTop: "0.75rem" }}>
          <Button size="small" onClick={onOlder}>Older entries</Button>
        </div>
      )}
    </Card>
  );
}
