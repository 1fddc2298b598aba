"use client";
import type { Verification } from "@/lib/audit-verify.ts";
import { Card } from "../ui/Card.tsx";
import { Hex } from "../ui/Hex.tsx";
import { Notice } from "../ui/Notice.tsx";

const MARK = { pass: "✓", fail: "✗", skip: "–" } as const;

/** The verdict on one entry, why, and every check with what it found. */
export function VerifyPanel({ seq, verification, running, error, onClose }: { seq: number; verification: Verification | undefined; running: boolean; error: Error | null; onClose: () => void }) {
  const v = verification;
  const tone = v?.verdict === "verified" ? "good" : v?.verdict === "pending" ? "warn" : "bad";
  return (
    <Card
      title={`Verify audit entry #${seq}`}
      actions={<button type="button" className="button small" onClick={onClose}>Close</button>}
      testId="verify-panel"
    >
      {running && !v && <p className="empty">Fetching the proof and checking it in this browser…</p>}
      {error && <Notice tone="bad">{error.message}</Notice>}
      {v && (
        <div className="stack" data-testid="verify-result" data-verdict={v.verdict}>
          <Notice tone={tone} testId="verify-verdict">
            <strong>{v.verdict === "verified" ? "Verified" : v.verdict === "pending" ? "Not verifiable yet" : "Not verified"}.</strong> {v.reason}
          </Notice>
          <ul className="checks">
            {v.checks.map((c) => (
              <li key={c.id} data-status={c.status} data-testid={`check-${c.id}`}>
                <span className="check-mark" aria-label={c.status}>{MARK[c.status]}</span>
                <span>
                  <strong>{c.label}</strong>
                  <span className="small muted check-detail"> {c.detail}</span>
                </span>
              </li>
            ))}
          </ul>
          <dl className="kv small">
            {v.computedLeaf && (
              <>
                <dt>Leaf (computed)</dt>
                <dd><Hex value={v.computedLeaf} full /></dd>
              </>
            )}
            {v.computedRoot && (
              <>
                <dt>Root (computed)</dt>
                <dd><Hex value={v.computedRoot} full /></dd>
              </>
            )}
            {v.chainBatch && (
              <>
                <dt>Root on chain</dt>
                <dd><Hex value={v.chainBatch.root} full /></dd>
              </>
            )}
            {v.operator && (
              <>
                <dt>Operator</dt>
                <dd><Hex value={v.operator} full /></dd>
              </>
            )}
            {v.proof?.batch.txHash && (
              <>
                <dt>Anchor tx</dt>
                <dd><Hex value={v.proof.batch.txHash} full /></dd>
              </>
            )}
          </dl>
          <p className="small muted">Hashes computed in this browser with Web Crypto (SHA-256, RFC 6962); the root read from AuditAnchor over the chain&apos;s RPC.</p>
        </div>
      )}
    </Card>
  );
}
