"use client";
import type { DecodedAction } from "@/lib/governance.ts";
import { formatTokens, shortAddress } from "@/lib/format.ts";
import { Hex } from "./ui/Hex.tsx";

function formatValue(value: unknown): string {
  return JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v));
}

/** What the proposal will do when executed, decoded from its calldata. */
export function ActionsList({ actions }: { actions: readonly DecodedAction[] }) {
  return (
    <ol className="stack" style={{ paddingLeft: "1.2rem", margin: 0 }} data-testid="actions">
      {actions.map((action, i) => (
        <li key={i}>
          {action.kind === "adopt" && (
            <div className="stack" style={{ gap: "0.3rem" }}>
              <div>
                <code>ModelRegistry.adopt</code> — adopt a new manifest for <strong>{action.role ?? `unknown role ${action.roleId}`}</strong>
              </div>
              <dl className="kv">
                <dt>CID</dt>
                <dd><Hex value={action.cid} full testId="action-cid" /></dd>
                <dt>Digest</dt>
                <dd><Hex value={action.digest} full /></dd>
                <dt>Target</dt>
                <dd><code title={action.target}>{shortAddress(action.target)}</code></dd>
              </dl>
            </div>
          )}
          {action.kind === "call" && (
            <div>
              <code>
                {action.contract}.{action.functionName}({action.args.map(formatValue).join(", ")})
              </code>
            </div>
          )}
          {action.kind === "raw" && (
            <div>
              Call <code title={action.target}>{shortAddress(action.target)}</code> with <Hex value={action.calldata} />
            </div>
          )}
          {action.value > 0n && <div className="small muted">sends {formatTokens(action.value, "ETH")}</div>}
        </li>
      ))}
    </ol>
  );
}
