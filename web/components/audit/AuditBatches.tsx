"use client";
import type { UseQueryResult } from "@tanstack/react-query";
import type { AuditBatch } from "@/lib/audit-api.ts";
import type { AnchoredBatch } from "@/lib/audit-chain.ts";
import { describeError } from "@/lib/errors.ts";
import { NodeProblem } from "../node/NodeProblem.tsx";
import { Badge } from "../ui/Badge.tsx";
import { Card } from "../ui/Card.tsx";
import { Hex } from "../ui/Hex.tsx";
import { Notice } from "../ui/Notice.tsx";

/**
 * The node's closed batches next to the operator's Anchored events on chain: the transaction, its
 * block and the root the chain holds, and whether that root is the node's.
 */
export function AuditBatches({ batches, anchors }: { batches: UseQueryResult<{ batches: AuditBatch[]; total: number }>; anchors: UseQueryResult<AnchoredBatch[]> }) {
  const onChain = new Map((anchors.data ?? []).map((a) => [a.index, a]));
  const nodeIndexes = new Set((batches.data?.batches ?? []).map((b) => b.index));
  // Batches the chain has that the node no longer lists (another log under the same key?) still show.
  const chainOnly = (anchors.data ?? []).filter((a) => !nodeIndexes.has(a.index));
  const empty = batches.data && batches.data.batches.length === 0 && chainOnly.length === 0;
  return (
    <Card title="Batches and anchors" actions={batches.data && <span className="small muted">{batches.data.total} closed</span>} testId="audit-batches">
      <NodeProblem query={batches} what="the audit batches" />
      {anchors.error && <Notice tone="bad">Cannot read the Anchored events: {describeError(anchors.error)}</Notice>}
      {empty && <p className="empty">No batch closed yet.</p>}
      {batches.data && !empty && (
        <table className="table">
          <thead>
            <tr>
              <th className="num">Batch</th>
              <th>Entries</th>
              <th>Root</th>
              <th>Anchor</th>
              <th>Block</th>
            </tr>
          </thead>
          <tbody>
            {batches.data.batches.map((b) => {
              const a = onChain.get(b.index);
              const same = a ? a.root.toLowerCase() === b.root.toLowerCase() : undefined;
              return (
                <tr key={b.index} data-testid="audit-batch" data-index={b.index} data-anchored={Boolean(a)}>
                  <td className="num">{b.index}</td>
                  <td className="num">{b.fromSeq}–{b.toSeq}</td>
                  <td>
                    <Hex value={b.root} />
                    {same === false && <div><Badge tone="bad">chain holds <Hex value={a!.root} /></Badge></div>}
                  </td>
                  <td>
                    {a ? <Hex value={a.txHash} /> : b.txHash ? <Hex value={b.txHash} /> : <Badge tone="warn">not anchored yet</Badge>}
                    {a && <div><Badge tone={same ? "good" : "bad"}>{same ? "root on chain" : "root differs"}</Badge></div>}
                  </td>
                  <td className="num">{a ? String(a.blockNumber) : "—"}</td>
                </tr>
              );
            })}
            {chainOnly.map((a) => (
              <tr key={`chain-${a.index}`} data-testid="audit-batch" data-index={a.index} data-anchored>
                <td className="num">{a.index}</td>
                <td className="num">{a.fromSeq}–{a.toSeq}</td>
                <td><Hex value={a.root} /><div className="small muted">on chain only</div></td>
                <td><Hex value={a.txHash} /></td>
                <td className="num">{String(a.blockNumber)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
