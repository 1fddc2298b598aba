"use client";
import Link from "next/link";
import type { ProposeFlowState } from "@/lib/use-publish-and-propose.ts";
import type { TransactionState } from "@/lib/use-transaction.ts";
import { Hex } from "../ui/Hex.tsx";
import { Notice } from "../ui/Notice.tsx";
import { TxStatus } from "../ui/TxStatus.tsx";

const ORDER = ["check", "publish", "propose"] as const;

function progress(state: ProposeFlowState): { done: number; failed?: (typeof ORDER)[number] } {
  switch (state.step) {
    case "idle": return { done: -1 };
    case "invalid": return { done: 0, failed: "check" };
    case "publishing": return { done: 1 };
    case "publish-failed": return { done: 1, failed: "publish" };
    case "mismatch": return { done: 1, failed: "publish" };
    case "proposing": return { done: 2 };
    case "propose-failed": return { done: 2, failed: "propose" };
    case "done": return { done: 3 };
  }
}

/** Where the propose flow is: schema check, publication (CID, digest), proposal transaction. */
export function ProposeSteps({ state, tx, release = false }: { state: ProposeFlowState; tx: TransactionState; release?: boolean }) {
  if (state.step === "idle") return null;
  const { done, failed } = progress(state);
  const labels = { check: release ? "Release checked in this browser: its shape, and its signature over its content" : "Manifest checked against the schema", publish: "Published through the node (IPFS); CID and digest computed in this browser", propose: "Proposal submitted" };
  const published = "published" in state ? state.published : undefined;
  return (
    <div className="stack" data-testid="propose-steps" data-step={state.step}>
      <ol className="steps">
        {ORDER.map((step, i) => (
          <li key={step} data-done={i < done && failed !== step} data-failed={failed === step}>
            {failed === step ? "✗" : i < done ? "✓" : "…"} {labels[step]}
          </li>
        ))}
      </ol>
      {state.step === "invalid" && (
        <Notice tone="bad" testId="schema-errors">
          The manifest does not match manifests/schema.json:
          <ul>{state.errors.map((e) => <li key={e}>{e}</li>)}</ul>
        </Notice>
      )}
      {state.step === "publish-failed" && <Notice tone="bad" testId="publish-error">Publishing failed: {state.message}</Notice>}
      {state.step === "mismatch" && (
        <Notice tone="bad" testId="publish-mismatch">
          <strong>Do not trust this node.</strong> {state.message}
        </Notice>
      )}
      {published && (
        <dl className="kv">
          <dt>CID</dt>
          <dd><Hex value={published.cid} full testId="published-cid" /></dd>
          <dt>Digest</dt>
          <dd><Hex value={published.digest} full testId="published-digest" /></dd>
        </dl>
      )}
      <TxStatus state={tx} />
      {state.step === "done" && (
        <Notice tone="good" testId="proposal-created">
          Proposal created. <Link href={`/proposals/${state.proposalId}`} data-testid="open-proposal">Open the proposal →</Link>
        </Notice>
      )}
    </div>
  );
}
