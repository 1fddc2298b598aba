/**
 * The node's and the gateway's HTTP front door, over real HTTP (node:http, which lets a test set
 * Host and Origin the way a browser page or a rebinding attacker would):
 *
 * - DNS rebinding: a request whose Host is not a loopback name gets 403 host_not_allowed on every
 *   route (unknown paths included), and does nothing (an upload is not stored); loopback names in
 *   every spelling and the operator's NS_LLM_ALLOWED_HOSTS are answered; with a token, a foreign
 *   Host is answered when the request carries it.
 * - Cross-site writes: a POST from a page whose origin is not allowed is refused, token or not;
 *   the dApp's origin and programs (no Origin) pass; reads stay open to CORS rules.
 * - The token: compared in constant time, a wrong token of any length is 401; a blank token is an
 *   error at start (one line saying what to do), for the node and for the gateway.
 * - requestTimeout: a client that never finishes its body is cut off (408) and its socket closed.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { createGateway, type Gateway } from "../src/gateway/index.ts";
import { computeCid } from "../src/ipfs/index.ts";
import { HTTP_LIMITS } from "../src/server/index.ts";
import { startTestNode, type TestNode } from "./helpers/api-node.ts";

const BIN = path.resolve(import.meta.dirname, "../bin/ns-llm.js");
const TOKEN = "test-token-0123456789abcdef";
const DAPP = "http://127.0.0.1:3000";

type Answer = { status: number; headers: http.IncomingHttpHeaders; body: string; json: any };

/** One request with exactly these headers (Host included), over a fresh connection. */
function request(base: string, p: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method: p.method ?? "GET", path: p.path, headers: { connection: "close", ...p.headers }, agent: false, setHost: p.headers?.host === undefined },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d));
        res.on("end", () => {
          let json: unknown;
          try {
            json = JSON.parse(body);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode!, headers: res.headers, body, json });
        });
      },
    );
    req.on("error", reject);
    req.end(p.body);
  });
}

const port = (base: string) => new URL(base).port;

describe("node without a token", { concurrency: false }, () => {
  let node: TestNode;
  before(async () => {
    node = await startTestNode({ httpLimits: { requestTimeout: 1_500, headersTimeout: 1_000, checkInterval: 200 } }, { NS_LLM_ALLOWED_HOSTS: "node.lan, metrics.lan:9100" });
  });
  after(() => node?.stop());

  test("a foreign Host (DNS rebinding) is refused on every route with 403 JSON", async () => {
    for (const [method, route] of [
      ["GET", "/health"],
      ["GET", "/api/audit"],
      ["GET", "/metrics"],
      ["GET", "/no/such/route"],
      ["POST", "/api/manifests"],
      ["OPTIONS", "/v1/chat/completions"],
    ] as const) {
      const answer = await request(node.url, { method, path: route, headers: { host: `rebind.attacker.example:${port(node.url)}`, "content-type": "application/json" }, body: method === "POST" ? "{}" : undefined });
      assert.equal(answer.status, 403, `${method} ${route}`);
      assert.equal(answer.json.error.code, "host_not_allowed");
      assert.match(answer.json.error.message, /NS_LLM_ALLOWED_HOSTS/);
    }
  });

  test("a refused upload is not stored", async () => {
    const bytes = randomBytes(4096);
    const cid = await computeCid(bytes);
    const refused = await request(node.url, { method: "POST", path: "/api/ipfs", headers: { host: "attacker.example", "content-type": "application/octet-stream" }, body: bytes });
    assert.equal(refused.status, 403);
    assert.equal(await node.ipfs.has!(cid), false, "nothing of the refused body reached IPFS");
    const accepted = await request(node.url, { method: "POST", path: "/api/ipfs", headers: { "content-type": "application/octet-stream" }, body: bytes });
    assert.equal(accepted.status, 200, accepted.body);
    assert.equal(accepted.json.cid, cid);
  });

  test("loopback names in every spelling, and the operator's allowed hosts, are answered", async () => {
    const p = port(node.url);
    for (const host of [`127.0.0.1:${p}`, `localhost:${p}`, `LOCALHOST:${p}`, `localhost.:${p}`, `[::1]:${p}`, `127.0.0.2`, `node.lan:8080`, `Node.LAN`, "metrics.lan:9100"]) {
      const answer = await request(node.url, { path: "/health", headers: { host } });
      assert.equal(answer.status, 200, `Host: ${host}: ${answer.body}`);
    }
    for (const host of ["", "metrics.lan:9101", "localhost.attacker.example", "127.0.0.1.nip.io", "node.lan.attacker.example"]) {
      const answer = await request(node.url, { path: "/health", headers: { host } });
      assert.equal(answer.status, 403, `Host: ${JSON.stringify(host)}`);
    }
  });

  test("a state-changing request from a page of another origin is refused; the dApp and programs pass", async () => {
    const manifest = "{}"; // invalid on purpose: passing the door means reaching validation (400)
    const foreign = await request(node.url, { method: "POST", path: "/api/manifests", headers: { origin: "https://evil.example", "content-type": "application/json" }, body: manifest });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.json.error.code, "origin_not_allowed");
    const sandboxed = await request(node.url, { method: "POST", path: "/v1/embeddings", headers: { origin: "null", "content-type": "application/json" }, body: '{"input":"x"}' });
    assert.equal(sandboxed.status, 403, "a sandboxed page (Origin: null) is foreign too");

    const dapp = await request(node.url, { method: "POST", path: "/api/manifests", headers: { origin: DAPP, "content-type": "application/json" }, body: manifest });
    assert.equal(dapp.status, 400, dapp.body);
    assert.equal(dapp.headers["access-control-allow-origin"], DAPP);
    const program = await request(node.url, { method: "POST", path: "/api/manifests", headers: { "content-type": "application/json" }, body: manifest });
    assert.equal(program.status, 400);

    // Reads are left to CORS: answered, but a foreign page gets no Access-Control-Allow-Origin to read them with.
    const read = await request(node.url, { path: "/health", headers: { origin: "https://evil.example" } });
    assert.equal(read.status, 200);
    assert.equal(read.headers["access-control-allow-origin"], undefined);
  });

  test("a request body that never finishes is cut off (requestTimeout) and its socket closed", async () => {
    const socket = net.connect(Number(port(node.url)), "127.0.0.1");
    let received = "";
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => (received += d));
    const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    socket.write(`POST /api/manifests HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name":`);
    await closed;
    assert.match(received, /^HTTP\/1\.1 408/);
    assert.deepEqual(JSON.parse(received.slice(received.indexOf("\r\n\r\n") + 4)), { error: { code: "request_timeout", message: "the request did not arrive in time" } });
  });

  test("the default limits bound every request", () => {
    assert.ok(HTTP_LIMITS.requestTimeout > 0 && HTTP_LIMITS.requestTimeout <= 15 * 60_000);
    assert.ok(HTTP_LIMITS.headersTimeout > 0 && HTTP_LIMITS.headersTimeout <= HTTP_LIMITS.requestTimeout);
    assert.ok(HTTP_LIMITS.maxConnections > 0 && HTTP_LIMITS.bodyLimit <= 1024 * 1024);
  });
});

describe("node and gateway with a token", { concurrency: false }, () => {
  let node: TestNode;
  let gateway: Gateway;
  let gatewayUrl: string;
  let home: string;
  before(async () => {
    node = await startTestNode({}, { NS_LLM_API_TOKEN: TOKEN });
    home = await mkdtemp(path.join(os.tmpdir(), "ns-llm-http-sec-"));
    gateway = await createGateway({ nodeUrls: [node.url], home, apiToken: TOKEN, client: { timeoutMs: 5_000 } });
    gatewayUrl = await gateway.app.listen({ host: "127.0.0.1", port: 0 });
  });
  after(async () => {
    await gateway?.close();
    await node?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  test("node: a foreign Host is answered only with the token; writes always need it", async () => {
    const host = "node.example.org";
    assert.equal((await request(node.url, { path: "/health", headers: { host } })).status, 403);
    assert.equal((await request(node.url, { path: "/health", headers: { host, authorization: `Bearer ${TOKEN}` } })).status, 200);
    assert.equal((await request(node.url, { path: "/health" })).status, 200, "loopback reads stay open");

    const write = { method: "POST", path: "/api/manifests", body: "{}" };
    for (const authorization of [undefined, "Bearer ", "Bearer x", `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`, `Bearer ${"y".repeat(5000)}`]) {
      const answer = await request(node.url, { ...write, headers: { "content-type": "application/json", ...(authorization !== undefined ? { authorization } : {}) } });
      assert.equal(answer.status, 401, String(authorization).slice(0, 40));
      assert.equal(answer.json.error.code, "unauthorized");
    }
    const ok = await request(node.url, { ...write, headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.status, 400, "with the token the request reaches validation");

    const foreignPage = await request(node.url, { ...write, headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}`, origin: "https://evil.example" } });
    assert.equal(foreignPage.status, 403, "a foreign page is refused even with the token");
  });

  test("gateway: the same Host and Origin policy, and its token compared in constant time", async () => {
    const search = { method: "POST", path: "/search", body: JSON.stringify({ query: "governance" }) };
    const json = { "content-type": "application/json" };
    const rebind = await request(gatewayUrl, { path: "/health", headers: { host: `attacker.example:${port(gatewayUrl)}` } });
    assert.equal(rebind.status, 403);
    assert.equal(rebind.json.error.code, "host_not_allowed");
    assert.equal((await request(gatewayUrl, { path: "/health" })).status, 200);

    for (const authorization of [undefined, "Bearer wrong", `Bearer ${TOKEN}!`, `bearer ${TOKEN.toUpperCase()}`]) {
      const answer = await request(gatewayUrl, { ...search, headers: { ...json, ...(authorization ? { authorization } : {}) } });
      assert.equal(answer.status, 401, String(authorization));
      assert.equal(answer.json.error.code, "unauthorized");
    }
    const ok = await request(gatewayUrl, { ...search, headers: { ...json, authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.status, 200, ok.body);
    assert.ok(Array.isArray(ok.json.results));

    const foreignPage = await request(gatewayUrl, { ...search, headers: { ...json, authorization: `Bearer ${TOKEN}`, origin: "https://evil.example" } });
    assert.equal(foreignPage.status, 403);
    assert.equal(foreignPage.json.error.code, "origin_not_allowed");
    const dapp = await request(gatewayUrl, { ...search, headers: { ...json, authorization: `Bearer ${TOKEN}`, origin: DAPP } });
    assert.equal(dapp.status, 200);
  });
});

describe("a blank token", () => {
  for (const command of [["serve", "--no-chain"], ["gateway", "--port", "0"]]) {
    test(`is an error at start of ns-llm ${command[0]}, not "no token"`, async () => {
      const home = await mkdtemp(path.join(os.tmpdir(), "ns-llm-blank-token-"));
      try {
        const run = promisify(execFile)(process.execPath, [BIN, ...command], {
          env: { ...process.env, NS_LLM_HOME: home, NS_LLM_PORT: "0", NS_LLM_API_TOKEN: "   " },
          timeout: 60_000,
        });
        const failure = (await run.then(
          () => assert.fail("it started"),
          (e: unknown) => e,
        )) as { code: number; stderr: string };
        assert.equal(failure.code, 1);
        const lines = failure.stderr.trim().split("\n");
        assert.equal(lines.length, 1, failure.stderr);
        assert.match(lines[0]!, /^error: .*NS_LLM_API_TOKEN is blank: set a token .* or unset it/);
      } finally {
        await rm(home, { recursive: true, force: true });
      }
    });
  }
});
