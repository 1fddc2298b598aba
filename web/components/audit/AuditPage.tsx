"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";
import { isAddress, type Address, type PublicClient } from "viem";
import { usePublicClient } from "wagmi";
import { useApp, useDeployment } from "@/lib/app-context.tsx";
import { getAuditBatches, getRecentAuditEntries } from "@/lib/audit-api.ts";
import { getAnchoredBatches } from "@/lib/audit-chain.ts";
import { verifyAuditEntry } from "@/lib/audit-verify.ts";
import { operatorFromHealth } from "@/lib/node-http.ts";
import { nodeQueryOptions, useNodeHealth } from "@/lib/node-queries.ts";
import { Card } from "../ui/Card.tsx";
import { AuditBatches } from "./AuditBatches.tsx";
import { AuditEntries } from "./AuditEntries.tsx";
import { VerifyPanel } from "./VerifyPanel.tsx";

const PAGE = 25;

/** /audit: the node's recent audit entries, its batches and their anchors, and a Verify action (also /audit?seq=N). */
export function AuditPage() {
  const { nodeUrl } = useApp();
  const deployment = useDeployment();
  const client = usePublicClient() as PublicClient | undefined;
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const seqParam = params.get("seq");
  const seq = seqParam !== null && /^\d+$/.test(seqParam) ? Number(seqParam) : undefined;

  const health = useNodeHealth(5000);
  const [before, setBefore] = useState<number | undefined>();
  const entries = useQuery({
    queryKey: ["node", nodeUrl, "audit-entries", before ?? "head"],
    queryFn: () => getRecentAuditEntries(nodeUrl, PAGE, before),
    refetchInterval: before === undefined ? 5000 : false,
    ...nodeQueryOptions(nodeUrl),
  });
  const batches = useQuery({ queryKey: ["node", nodeUrl, "audit-batches"], queryFn: () => getAuditBatches(nodeUrl), refetchInterval: 5000, ...nodeQueryOptions(nodeUrl) });

  // The operator whose anchors count: the person's entry, else what the node says (health, then its batches).
  const [operatorInput, setOperatorInput] = useState("");
  const typed = operatorInput.trim();
  const nodeOperator = operatorFromHealth(health.data) ?? batches.data?.batches.find((b) => b.node)?.node ?? undefined;
  const operator: Address | undefined = isAddress(typed) ? typed : nodeOperator;
  const anchors = useQuery({
    queryKey: ["chain", "anchored", deployment.contracts.AuditAnchor.address, operator],
    queryFn: () => getAnchoredBatches(client!, deployment, operator!),
    enabled: Boolean(client && operator),
    placeholderData: keepPreviousData,
  });

  const [run, setRun] = useState(0);
  const verification = useQuery({
    queryKey: ["verify", nodeUrl, seq, operator ?? null, run],
    queryFn: () => verifyAuditEntry({ nodeUrl, seq: seq!, client: client!, deployment, operator }),
    // Wait for /health, which names the operator, before the first check.
    enabled: seq !== undefined && Boolean(client) && (health.isFetched || health.failureCount > 0),
    retry: false,
    staleTime: Infinity,
    // A batch still waiting for its anchor is checked again until it is anchored.
    refetchInterval: (query) => (query.state.data?.verdict === "pending" ? 5000 : false),
  });

  const select = (next: number | undefined) => {
    const query = new URLSearchParams(params.toString());
    if (next === undefined) query.delete("seq");
    else query.set("seq", String(next));
    const qs = query.toString();
    router.replace(qs ? `${pathname}?${qs}` : pathname, { scroll: false });
    setRun((r) => r + 1);
  };

  const audit = health.data?.audit;
  const anchoredThrough = audit && audit.entries !== null ? audit.anchoredThrough : undefined;
  const total = entries.data?.total;
  const oldest = entries.data?.entries.at(-1)?.seq;
  return (
    <>
      <h1>Audit log</h1>
      <Card title="Whose anchors" testId="audit-operator">
        <div className="grid-2">
          <div className="field">
            <label htmlFor="operator">Node operator address</label>
            <input
              id="operator"
              data-testid="operator-input"
              value={operatorInput}
              onChange={(e) => setOperatorInput(e.target.value)}
              placeholder={nodeOperator ?? "0x… (the address that signs the node's anchors)"}
              spellCheck={false}
            />
            <span className="hint">
              {typed && !isAddress(typed)
                ? "Not an address: using the node's."
                : isAddress(typed)
                  ? "Roots are read from AuditAnchor for this address."
                  : nodeOperator
                    ? "Empty: the address the node reports is used. Enter another to check against it."
                    : "The node does not report its operator; enter it to check roots on chain."}
            </span>
          </div>
          <dl className="kv">
            <dt>Checking against</dt>
            <dd data-testid="operator-used">{operator ? <code>{operator}</code> : <span className="muted">no operator</span>}</dd>
            <dt>AuditAnchor</dt>
            <dd><code>{deployment.contracts.AuditAnchor.address}</code></dd>
            <dt>Log</dt>
            <dd>
              {audit && audit.entries !== null
                ? `${audit.entries ?? "?"} entries, anchored through ${audit.anchoredThrough ?? "—"}${audit.anchoring === "disabled" ? ` (anchoring disabled${audit.disabledReason ? `: ${audit.disabledReason}` : ""})` : ""}`
                : health.data
                  ? "the node keeps no audit log"
                  : "…"}
            </dd>
          </dl>
        </div>
      </Card>
      {seq !== undefined && (
        <VerifyPanel seq={seq} verification={verification.data} running={verification.isFetching} error={verification.error} onClose={() => select(undefined)} />
      )}
      <AuditEntries
        entries={entries}
        anchoredThrough={anchoredThrough}
        verifying={seq}
        onVerify={(s) => select(s)}
        onOlder={oldest !== undefined && oldest > 0 ? () => setBefore(oldest) : undefined}
      />
      {before !== undefined && (
        <div className="row">
          <button type="button" className="button small" onClick={() => setBefore(undefined)}>Back to the newest{total !== undefined ? ` (${total})` : ""}</button>
        </div>
      )}
      <AuditBatches batches={batches} anchors={anchors} />
    </>
  );
}
