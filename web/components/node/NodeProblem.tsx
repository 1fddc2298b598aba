"use client";
import type { UseQueryResult } from "@tanstack/react-query";
import { useApp } from "@/lib/app-context.tsx";
import { retryDelay } from "@/lib/node-queries.ts";
import { Button } from "../ui/Button.tsx";
import { Notice } from "../ui/Notice.tsx";

/**
 * Why a node query fails, while react-query keeps retrying it: the reason, the attempt, when the
 * next one runs, and a button to try now. With older data on screen it says how old that is.
 * Renders nothing while the query is fine.
 */
export function NodeProblem({ query, what = "the node" }: { query: UseQueryResult<unknown>; what?: string }) {
  const { nodeUrl } = useApp();
  const reason = query.failureReason ?? query.error;
  if (!reason) return null;
  const retrying = query.fetchStatus === "fetching" || query.failureCount > 0;
  const seconds = Math.round(retryDelay(Math.max(0, query.failureCount - 1)) / 1000);
  const stale = query.data !== undefined && query.dataUpdatedAt > 0 ? new Date(query.dataUpdatedAt).toLocaleTimeString() : undefined;
  return (
    <Notice tone="bad" testId="node-problem">
      <div className="spread">
        <div>
          <strong>Cannot read {what} at {nodeUrl}.</strong> {(reason as Error).message}
          <div className="small">
            {retrying ? `Retrying (attempt ${query.failureCount + 1}, every ${seconds} s or sooner).` : "Not retrying: the node refused the request."}
            {stale && ` Showing what it said at ${stale}.`}
          </div>
        </div>
        <Button size="small" onClick={() => void query.refetch()}>Retry now</Button>
      </div>
    </Notice>
  );
}
