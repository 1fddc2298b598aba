"use client";
import { useEffect, useRef, useState } from "react";
import type { PublicClient } from "viem";
import { usePublicClient } from "wagmi";
import type { ShownAnswer } from "@/lib/answer-check.ts";
import { useApp, useDeployment } from "@/lib/app-context.tsx";
import { verifyAuditEntry, type Verification } from "@/lib/audit-verify.ts";
import { operatorFromHealth } from "@/lib/node-http.ts";
import { useNodeHealth } from "@/lib/node-queries.ts";
import { Button } from "../ui/Button.tsx";
import { Notice } from "../ui/Notice.tsx";

/**
 * "Verify" under a chat answer: the audit entry the node named is fetched with its proof and
 * checked in this browser: its input and output hashes against the prompt sent and the answer on
 * screen, its leaf and audit path against the root the operator anchored in AuditAnchor.
 */
export function AnswerVerify({ seq, answer }: { seq: number; answer: ShownAnswer }) {
  const { nodeUrl } = useApp();
  const deployment = useDeployment();
  const client = usePublicClient() as PublicClient | undefined;
  const health = useNodeHealth(15_000);
  const [state, setState] = useState<{ running: boolean; result?: Verification; error?: string }>({ running: false });

  async function run() {
    if (!client) return setState({ running: false, error: "no chain client: the chain is not configured" });
    setState({ running: true });
    try {
      const result = await verifyAuditEntry({ nodeUrl, seq, client, deployment, operator: operatorFromHealth(health.data), answer });
      setState({ running: false, result });
    } catch (error) {
      setState({ running: false, error: (error as Error).message });
    }
  }

  const shown = useRef<HTMLDivElement>(null);
  // The verdict appears below the answer: bring it into the chat log's view. Braces: no cleanup returned.
  useEffect(() => {
    shown.current?.scrollIntoView({ block: "nearest" });
  }, [state.result, state.error]);

  const v = state.result;
  const tone = v?.verdict === "verified" ? "good" : v?.verdict === "pending" ? "warn" : "bad";
  return (
    <>
      <Button size="small" onClick={() => void run()} disabled={state.running} data-testid="chat-check">
        {state.running ? "verifying…" : v ? "verify again" : "verify"}
      </Button>
      {(v || state.error) && (
        <div ref={shown} className="chat-verify-result" data-testid="chat-check-result" data-verdict={v?.verdict ?? "error"} style={{ flexBasis: "100%", color: "var(--text)" }}>
          <Notice tone={state.error ? "bad" : tone} testId="chat-check-verdict">
            {state.error ?? (
              <>
                <strong>{v!.verdict === "verified" ? "Verified" : v!.verdict === "pending" ? "Not verifiable yet" : "Not verified"}.</strong> {v!.reason}
              </>
            )}
          </Notice>
          {v && (
            <ul className="checks" style={{ marginTop: "0.4rem", fontSize: "0.8rem" }}>
              {v.checks.filter((c) => c.status !== "skip").map((c) => (
                <li key={c.id} data-status={c.status} data-testid={`chat-check-${c.id}`} title={c.detail}>
                  <span className="check-mark" aria-label={c.status}>{c.status === "pass" ? "✓" : "✗"}</span>
                  <span>{c.label}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </>
  );
}
