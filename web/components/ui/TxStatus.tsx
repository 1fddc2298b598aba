"use client";
import type { TransactionState } from "@/lib/use-transaction.ts";
import { shortHex } from "@/lib/format.ts";
import { Notice } from "./Notice.tsx";

/** Where one transaction is: waiting for the wallet, pending, mined or failed (with the reason). */
export function TxStatus({ state }: { state: TransactionState }) {
  if (state.status === "idle") return null;
  const hash = "hash" in state && state.hash ? <code title={state.hash}> {shortHex(state.hash)}</code> : null;
  const body = {
    signing: <>⏳ {state.label}: confirm in your wallet…</>,
    pending: <>⏳ {state.label}: pending{hash}</>,
    mined: <>✓ {state.label}: mined{"blockNumber" in state ? ` in block ${state.blockNumber}` : ""}{hash}</>,
    failed: <>✗ {state.label} failed: {"message" in state ? state.message : ""}{hash}</>,
  }[state.status];
  const tone = state.status === "failed" ? "bad" : state.status === "mined" ? "good" : "info";
  return (
    <div data-testid="tx-status" data-status={state.status}>
      <Notice tone={tone}>{body}</Notice>
    </div>
  );
}
