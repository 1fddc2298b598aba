/**
 * The canary's judgement and routing, without models: each governed tolerance decides a rollback
 * on its own (the figures are what a canary measured; the Hardhat test in canary.test.ts shows the
 * same settings arriving by vote), and `share` sends exactly that share of requests to the new
 * model. The "engine" here is a plain object that is never asked to generate (a fake, named so).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CanaryArm } from "@ns-llm/contracts";
import { Canary, CANARY_DEFAULTS, canarySettings, CanaryRollback, judgeCanary } from "../src/serving/index.ts";

const arm = (p: Partial<CanaryArm>): CanaryArm => ({ model: "m", manifest: null, requests: 10, errors: 0, refusals: 0, errorRate: 0, refusalRate: 0, p50Ms: 100, ...p });
const settings = (p: Partial<ReturnType<typeof canarySettings>> = {}) => ({ share: 0.5, ...CANARY_DEFAULTS, ...p });

describe("canary judgement", () => {
  it("share absent or 0 means no canary; absent fields take the defaults", () => {
    assert.equal(canarySettings(undefined), undefined);
    assert.equal(canarySettings({ share: 0, minRequests: 5 }), undefined);
    assert.deepEqual(canarySettings({ share: 0.25, maxLatencyRatio: 3 }), { ...CANARY_DEFAULTS, share: 0.25, maxLatencyRatio: 3 });
  });

  it("maxErrorRateDelta: 1 error in 10 rolls back at 0, passes at 0.1", () => {
    const candidate = arm({ errors: 1, errorRate: 0.1 });
    assert.match(judgeCanary(settings({ maxErrorRateDelta: 0 }), candidate, arm({})).join(), /error rate 10%/);
    assert.deepEqual(judgeCanary(settings({ maxErrorRateDelta: 0.1 }), candidate, arm({})), []);
  });

  it("maxRefusalRateDelta is measured against the current model's own refusals", () => {
    const candidate = arm({ refusals: 3, refusalRate: 0.3 });
    assert.match(judgeCanary(settings({ maxRefusalRateDelta: 0.1 }), candidate, arm({})).join(), /refusal rate 30%/);
    assert.deepEqual(judgeCanary(settings({ maxRefusalRateDelta: 0.1 }), candidate, arm({ refusals: 2, refusalRate: 0.2 })), []);
  });

  it("maxLatencyRatio: a median 2.5x slower rolls back at 2, passes at 3; no comparison without answers on both", () => {
    const candidate = arm({ p50Ms: 250 });
    assert.match(judgeCanary(settings({ maxLatencyRatio: 2 }), candidate, arm({})).join(), /median latency 250 ms vs 100 ms/);
    assert.deepEqual(judgeCanary(settings({ maxLatencyRatio: 3 }), candidate, arm({})), []);
    assert.deepEqual(judgeCanary(settings({ maxLatencyRatio: 2 }), candidate, arm({ requests: 0, p50Ms: null })), []);
  });
});

describe("canary routing", () => {
  type FakeEngine = { dispose(): Promise<void> };
  const fake: FakeEngine = { dispose: async () => {} };
  const manifest = { cid: "bafy-new", name: "new", version: 2, digest: "0x01" };

  it("share 0.25 sends exactly every 4th request, ends at minRequests and rolls back on refusals", async () => {
    const canary = new Canary<FakeEngine>();
    const run = canary.run(fake, manifest, { model: "old", manifest: "bafy-old" }, settings({ share: 0.25, minRequests: 3, durationSec: 600 }), new AbortController().signal);
    const picked: number[] = [];
    for (let i = 0; i < 12; i++) {
      const lease = canary.pick();
      if (!lease) {
        canary.observe({ outcome: "ok", ms: 10 });
        continue;
      }
      picked.push(i);
      lease.record({ outcome: "refused", ms: 10 });
      lease.release();
    }
    assert.deepEqual(picked, [3, 7, 11]);
    await assert.rejects(run, (error: unknown) => error instanceof CanaryRollback && error.code === "canary_rolled_back" && !error.transient);
    assert.equal(canary.status()?.state, "rolled_back");
    assert.equal(canary.pick(), undefined, "no request goes to a rolled-back model");
  });

  it("a request still running on the new model when the period ends is waited for, and counts", async () => {
    const canary = new Canary<FakeEngine>();
    const run = canary.run(fake, manifest, { model: "old", manifest: null }, settings({ share: 1, minRequests: 2 }), new AbortController().signal);
    const a = canary.pick()!;
    const b = canary.pick()!;
    a.record({ outcome: "ok", ms: 10 });
    a.release();
    b.record({ outcome: "ok", ms: 10 });
    let ended = false;
    void run.then(() => (ended = true));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(ended, false, "b still holds the engine");
    b.release();
    await run;
    assert.equal(canary.status()?.state, "completed");
    assert.equal(canary.status()?.candidate.requests, 2);
  });

  it("an abandoned adoption (superseded) ends the canary with the signal's reason", async () => {
    const canary = new Canary<FakeEngine>();
    const controller = new AbortController();
    const run = canary.run(fake, manifest, { model: "old", manifest: null }, settings(), controller.signal);
    controller.abort(new Error("superseded by v3"));
    await assert.rejects(run, /superseded by v3/);
    assert.equal(canary.status()?.state, "abandoned");
  });
});
