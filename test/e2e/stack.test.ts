/**
 * `npm start`'s orchestration as a user runs it, on free ports: everything comes up with an API
 * token it prints (the gateway refuses a chat without it; the dApp's page carries it; the
 * gateway's environment holds no private key), a chat goes through the gateway to the node, Ctrl-C (SIGINT) stops it, and nothing is left running or
 * listening.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { freePort, isListening } from "../../scripts/stack/ports.ts";
import { descendants, pidAlive } from "../../node/test/helpers/processes.ts";

const REPO = path.resolve(import.meta.dirname, "../..");

test("npm start brings the stack up, answers a chat through the gateway, and SIGINT leaves nothing behind", { timeout: 600_000 }, async () => {
  const home = await mkdtemp(path.join(os.tmpdir(), "ns-llm-stack-"));
  after(() => rm(home, { recursive: true, force: true }));
  const ports = { chain: await freePort(), node: await freePort(), gateway: await freePort(), web: await freePort() };
  const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", "scripts/start.ts"], {
    cwd: REPO,
    env: {
      ...process.env,
      NS_LLM_HOME: home,
      NS_LLM_DEPLOYMENT: path.join(home, "deployments", "31337.json"),
      NS_LLM_CHAIN_PORT: String(ports.chain),
      NS_LLM_PORT: String(ports.node),
      NS_LLM_GATEWAY_PORT: String(ports.gateway),
      NS_LLM_WEB_PORT: String(ports.web),
      // Share the dApp build with the browser tests (same sources, same cache key).
      NS_LLM_WEB_DIST_DIR: ".next-test",
      NS_LLM_THREADS: "1",
      // npm start makes one.
      NS_LLM_API_TOKEN: undefined,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  try {
    const deadline = Date.now() + 540_000;
    while (!output.includes("NS-LLM is up")) {
      assert.equal(child.exitCode, null, `npm start exited early:\n${output}`);
      assert.ok(Date.now() < deadline, `npm start did not come up:\n${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    for (const port of Object.values(ports)) assert.ok(await isListening(port), `port ${port} should listen`);

    // npm start made a token and printed how to use it; the gateway wants it.
    const token = /export NS_LLM_API_TOKEN=([0-9a-f]{64})\n/.exec(output)?.[1];
    assert.ok(token, `npm start prints the API token:\n${output}`);
    const generate = (headers: Record<string, string>) =>
      fetch(`http://127.0.0.1:${ports.gateway}/generate`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ prompt: "Hello, node!", maxTokens: 8 }),
      });
    assert.equal((await generate({})).status, 401, "no token, no answer");
    const chat = await generate({ authorization: `Bearer ${token}` });
    assert.equal(chat.status, 200);
    const answer = (await chat.json()) as { text: string; source: string; model: string; manifest: string };
    assert.equal(answer.source, "llm");
    assert.equal(answer.model, "ns-llm-demo-llama");
    assert.match(answer.manifest, /^bafk/, "the answer names the governed manifest it came from");
    assert.ok(answer.text.length > 0);

    const governance = (await (await fetch(`http://127.0.0.1:${ports.node}/api/governance`)).json()) as { applied: Record<string, { version: number }> };
    assert.deepEqual(Object.keys(governance.applied).sort(), ["embedding", "generation", "parameters"], "genesis adopted on chain and applied");

    const dapp = await fetch(`http://127.0.0.1:${ports.web}/`);
    assert.equal(dapp.status, 200);
    assert.ok((await dapp.text()).includes(token), "the dApp's page carries the token for its calls to the node");

    const children = descendants(child.pid!);
    const cmdline = (pid: number) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      } catch {
        return [];
      }
    };
    const gateway = children.find((pid) => cmdline(pid).includes("gateway"));
    assert.ok(gateway, "the gateway process");
    const gatewayEnv = readFileSync(`/proc/${gateway}/environ`, "utf8").split("\0");
    assert.ok(!gatewayEnv.some((v) => v.startsWith("NS_LLM_OPERATOR_KEY=")), "the gateway's environment holds no private key");
    assert.ok(gatewayEnv.includes(`NS_LLM_API_TOKEN=${token}`));
    assert.ok(children.length >= 4, `expected chain, node, gateway and dApp processes, found ${children.length}`);
    child.kill("SIGINT");
    assert.equal(await exited, 0, `npm start should exit 0 on SIGINT:\n${output.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(children.filter(pidAlive), [], "no child process is left");
    for (const port of Object.values(ports)) assert.equal(await isListening(port), false, `port ${port} still listens`);
  } finally {
    if (child.exitCode === null) {
      for (const pid of descendants(child.pid!)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {}
      }
      child.kill("SIGKILL");
    }
  }
});
