/**
 * `ns-llm serve --demo --no-chain` as a user runs it: NS_LLM_PORT=0 prints the real URL; SIGTERM
 * during a stream ends the stream and the process exits 0.
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { it } from "node:test";
import { json, sseReader } from "./helpers/api-node.ts";
import { stopChild } from "./helpers/processes.ts";

const bin = fileURLToPath(new URL("../bin/ns-llm.js", import.meta.url));

it("serve prints its URL, status reports it, SIGTERM during a stream ends the stream and exits 0", async () => {
  const home = await mkdtemp(path.join(os.tmpdir(), "ns-llm-serve-"));
  const child = spawn(process.execPath, [bin, "serve", "--demo", "--no-chain"], {
    env: { ...process.env, NS_LLM_HOME: home, NS_LLM_PORT: "0", NS_LLM_HOST: "127.0.0.1", NS_LLM_THREADS: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d) => {
        out += d;
        const m = /^ns-llm listening on (http:\/\/127\.0\.0\.1:(\d+))$/m.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once("exit", (code) => reject(new Error(`serve exited with ${code} before listening: ${stderr}`)));
    });
    assert.notEqual(new URL(url).port, "0");

    // The demo models were written into NS_LLM_HOME/demo and are served.
    const health = await (await fetch(`${url}/health`)).json();
    assert.equal(health.generation.ready, true);
    assert.equal(health.governance.reason, "disabled (--no-chain)");

    // `ns-llm status` reads the same /health, for a person or as JSON.
    const run = (args: string[]) => promisify(execFile)(process.execPath, [bin, "status", "--url", url, ...args]);
    const human = (await run([])).stdout;
    assert.match(human, /^NS-LLM node at http:\/\/127\.0\.0\.1:\d+: ok$/m);
    assert.match(human, /generation {2}ready {2}ns-llm-demo-llama/);
    assert.equal(JSON.parse((await run(["--json"])).stdout).generation.ready, true);

    const res = await fetch(`${url}/generate`, json({ prompt: "a long story", maxTokens: 400, stream: true }));
    const stream = sseReader(res);
    assert.ok(await stream.next(), "a first token");
    child.kill("SIGTERM");
    // The stream ends: with its done event (finished within the grace period, or cancelled).
    let last: unknown;
    for (let e = await stream.next(); e !== undefined; e = await stream.next()) last = e;
    assert.equal((last as { done?: boolean }).done, true);
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /SIGTERM, stopping/);
  } finally {
    await stopChild(child, "SIGKILL");
    await rm(home, { recursive: true, force: true });
  }
});
