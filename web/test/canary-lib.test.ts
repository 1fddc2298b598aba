/** The node page's words for a canary swap (web/lib/canary.ts), from a /health `canary.generation`. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { CanaryRun } from "@ns-llm/contracts";
import { describeCanary } from "../lib/canary.ts";

const run: CanaryRun = {
  role: "generation",
  version: 3,
  cid: "bafk-new",
  digest: "0x01",
  name: "ns-llm-canary-degenerate",
  state: "rolled_back",
  settings: { share: 0.5, durationSec: 600, minRequests: 4, maxErrorRateDelta: 0, maxLatencyRatio: 2, maxRefusalRateDelta: 0.25 },
  startedAt: "2026-12-05T11:40:00.000Z",
  endedAt: "2026-12-05T11:40:02.000Z",
  candidate: { model: "ns-llm-canary-degenerate", manifest: "bafk-new", requests: 4, errors: 0, refusals: 4, errorRate: 0, refusalRate: 1, p50Ms: 80.2 },
  current: { model: "ns-llm-demo-llama", manifest: "bafk-old", requests: 8, errors: 0, refusals: 0, errorRate: 0, refusalRate: 0, p50Ms: 95 },
  retried: 4,
  reasons: ["validation refusal rate 100% (4/4) vs 0% on the current model, more than 25% worse"],
};

test("a rollback in words: what was tried, both models side by side, why", () => {
  const d = describeCanary(run);
  assert.equal(d.state, "rolled_back");
  assert.equal(d.title, "ns-llm-canary-degenerate v3: rolled back (50 % of requests for 600 s or 4 requests; 4 answered again by the current model)");
  assert.equal(d.candidate, "new ns-llm-canary-degenerate: 4 requests, 0 errors (0 %), 4 refused (100 %), median 80.2 ms");
  assert.equal(d.current, "current ns-llm-demo-llama: 8 requests, 0 errors (0 %), 0 refused (0 %), median 95 ms");
  assert.deepEqual(d.reasons, run.reasons);
  assert.match(describeCanary({ ...run, state: "completed", reasons: [], current: { ...run.current, p50Ms: null } }).current, /no answer timed$/);
});
