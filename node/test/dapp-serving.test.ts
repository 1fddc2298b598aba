/**
 * The node serves the dApp on its own port (node/src/dapp/, server/page-proxy.ts).
 *
 * Two kinds of dApp:
 * - the real one: `next build` as a standalone server, laid out as the packages ship it
 *   (packaging/src/dapp.ts; the build is cached in web/.next-package by a hash of the dApp's
 *   sources and shared with packaging/test/package.test.ts). Used by "serves the home page",
 *   "the token stays out of pages under another Host", "own-origin POSTs" and "ended with the node".
 * - a tiny fake `server.js` (a few lines of node:http) where the dApp's content does not matter:
 *   the node killed outright (SIGKILL), a dApp server that dies, a build that cannot start
 *   (dapp_unavailable), NS_LLM_DAPP=0.
 */
import assert from "node:assert/strict";
import http from "node:http";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { buildDapp } from "../../packaging/src/dapp.ts";
import { startTestNode, type TestNode } from "./helpers/api-node.ts";
import { spawnNode } from "./helpers/node-process.ts";
import { descendants, pidAlive, waitUntil } from "./helpers/processes.ts";

const work = await mkdtemp(path.join(os.tmpdir(), "ns-llm-dapp-serving-"));
after(() => rm(work, { recursive: true, force: true }));

const TOKEN = "dapp-serving-test-token-5f1c";

/** GET with a Host header of our choosing (fetch always sends the URL's own). */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { host } }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .once("error", reject);
  });
}

/** A standalone dApp stand-in: `server.js` answering every request with a small page. */
async function fakeDapp(name: string, body = `require("node:http").createServer((req, res) => { res.setHeader("content-type", "text/html"); res.end("<p>fake dApp " + req.method + " " + req.url + "</p>"); }).listen(Number(process.env.PORT), process.env.HOSTNAME);`): Promise<string> {
  const dir = path.join(work, name);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "package.json"), JSON.stringify({ type: "commonjs" }));
  await writeFile(path.join(dir, "server.js"), body);
  return dir;
}

describe("the node serves a built dApp on its own port", { timeout: 600_000 }, () => {
  let node: TestNode;
  let dappDir: string;
  const get = (p: string) => fetch(`${node.url}${p}`);

  before(async () => {
    dappDir = (await buildDapp(path.join(work, "web"))).dir;
    node = await startTestNode({}, { NS_LLM_DAPP_DIR: dappDir, NS_LLM_API_TOKEN: TOKEN, NS_LLM_ALLOWED_HOSTS: "dapp.example" });
  });
  after(() => node?.stop());

  test("serves the home page and its assets on the node's port; the API's routes stay the API's", async () => {
    assert.equal(node.dapp?.pid(), undefined, "the dApp's server starts on the first page request, not before");
    const res = await get("/");
    const html = await res.text();
    assert.equal(res.status, 200, html.slice(0, 500));
    assert.match(res.headers.get("content-type") ?? "", /text\/html/);
    assert.match(html, /NS-LLM governance/);
    // The node follows no chain (--no-chain): the page says so, and what to set.
    assert.match(html, /This node follows no chain/);
    assert.match(html, /NS_LLM_RPC_URL/);
    // Under a loopback Host the page carries the node's token, for its own node only.
    assert.ok(html.includes(TOKEN), "the token is in the page under a loopback Host");
    // The page's scripts come through the node too.
    const script = /src="(\/_next\/static\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, "the page names its scripts");
    const asset = await get(script);
    assert.equal(asset.status, 200);
    assert.ok((await asset.text()).length > 100);
    const head = await fetch(`${node.url}/chat`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.ok(node.dapp?.pid(), "the dApp's server runs");

    // The API's own paths are answered by the node, as before.
    assert.equal((await get("/health")).status, 200);
    const missing = await get("/api/no-such-route");
    assert.deepEqual([missing.status, ((await missing.json()) as { error: { code: string } }).error.code], [404, "not_found"]);
    assert.equal((await get("/v1/nothing")).status, 404);
    const wrongMethod = await get("/embed");
    assert.deepEqual([wrongMethod.status, wrongMethod.headers.get("allow")], [405, "POST"]);
    // Only GET and HEAD go to the dApp.
    const post = await fetch(`${node.url}/chat`, { method: "POST", body: "x" });
    assert.equal(post.status, 404);
  });

  test("the token stays out of pages asked for under another Host, and a foreign Host is refused", async () => {
    const loopback = await getWithHost(`${node.url}/`, "localhost");
    assert.equal(loopback.status, 200);
    assert.ok(loopback.body.includes(TOKEN), "the token is in the page under localhost");
    // A name the operator allowed (NS_LLM_ALLOWED_HOSTS) gets the page, without the token.
    const allowed = await getWithHost(`${node.url}/`, "dapp.example");
    assert.equal(allowed.status, 200);
    assert.match(allowed.body, /NS-LLM governance/);
    assert.ok(!allowed.body.includes(TOKEN), "no token under a non-loopback Host");
    // Any other name (a page that rebound its name to this machine) gets nothing.
    const foreign = await getWithHost(`${node.url}/`, "rebind.attacker.example");
    assert.equal(foreign.status, 403);
    assert.equal((JSON.parse(foreign.body) as { error: { code: string } }).error.code, "host_not_allowed");
  });

  test("a page of the node's own origin may POST to the API; another origin still may not", async () => {
    const body = JSON.stringify({ model: "any", messages: [{ role: "user", content: "Hi" }], max_tokens: 2 });
    const headers = (origin: string) => ({ "content-type": "application/json", origin });
    const own = await fetch(`${node.url}/v1/chat/completions`, { method: "POST", headers: headers(node.url), body });
    assert.equal(own.status, 200, await own.clone().text());
    const other = await fetch(`${node.url}/v1/chat/completions`, { method: "POST", headers: headers("http://evil.example"), body });
    assert.equal(other.status, 403);
    assert.equal(((await other.json()) as { error: { code: string } }).error.code, "origin_not_allowed");
    // Same host name, another port: not the node's origin.
    const otherPort = await fetch(`${node.url}/v1/chat/completions`, { method: "POST", headers: headers("http://127.0.0.1:1"), body });
    assert.equal(otherPort.status, 403);
  });

  test("the dApp's server ends with the node", async () => {
    const pid = node.dapp?.pid();
    assert.ok(pid && pidAlive(pid));
    const group = [pid, ...descendants(pid)];
    await node.stop();
    assert.deepEqual(group.filter(pidAlive), [], "a process of the dApp's server is still running");
  });
});

describe("the dApp's server around the node (a fake server.js)", { timeout: 300_000 }, () => {
  test("never outlives a node killed outright", async () => {
    const dir = await fakeDapp("fake-ok");
    const node = await spawnNode({ env: { NS_LLM_DAPP_DIR: dir } });
    try {
      const res = await fetch(`${node.url}/anything?x=1`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), "<p>fake dApp GET /anything?x=1</p>");
      const servers = descendants(node.pid);
      assert.ok(servers.length >= 1, "the dApp's server runs under the node");
      await node.kill(); // SIGKILL: no close(), no exit handler
      await waitUntil("the dApp's server to exit after its node", async () => servers.every((pid) => !pidAlive(pid)), 30_000);
    } finally {
      await node.stop();
    }
  });

  test("a dApp server that dies is started again by the next page request", async () => {
    const dir = await fakeDapp("fake-restart");
    const node = await startTestNode({}, { NS_LLM_DAPP_DIR: dir });
    try {
      assert.equal((await fetch(`${node.url}/`)).status, 200);
      const first = node.dapp!.pid()!;
      process.kill(first, "SIGKILL");
      await waitUntil("the node to see its dApp server gone", async () => node.dapp!.pid() === undefined, 30_000);
      const again = await fetch(`${node.url}/again`);
      assert.deepEqual([again.status, await again.text()], [200, "<p>fake dApp GET /again</p>"]);
      assert.notEqual(node.dapp!.pid(), first);
    } finally {
      await node.stop();
    }
  });

  test("a build that cannot start: 503 dapp_unavailable with a hint; the API keeps working", async () => {
    const crashing = await fakeDapp("fake-crash", `console.error("cannot start: broken build"); process.exit(3);`);
    const node = await startTestNode({}, { NS_LLM_DAPP_DIR: crashing });
    try {
      const res = await fetch(`${node.url}/`);
      assert.equal(res.status, 503);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(error.code, "dapp_unavailable");
      assert.match(error.message, /exited \(3\) before it answered: cannot start: broken build/);
      assert.match(error.message, /NS_LLM_DAPP_DIR/);
      assert.equal((await fetch(`${node.url}/health`)).status, 200);
    } finally {
      await node.stop();
    }
    const empty = path.join(work, "not-a-build");
    await mkdir(empty, { recursive: true });
    const node2 = await startTestNode({}, { NS_LLM_DAPP_DIR: empty });
    try {
      const res = await fetch(`${node2.url}/`);
      assert.equal(res.status, 503);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(error.code, "dapp_unavailable");
      assert.match(error.message, /holds no server\.js/);
    } finally {
      await node2.stop();
    }
  });

  test("NS_LLM_DAPP=0: no dApp, pages are 404 and other origins' POSTs stay refused", async () => {
    const dir = await fakeDapp("fake-off");
    const node = await startTestNode({}, { NS_LLM_DAPP_DIR: dir, NS_LLM_DAPP: "0" });
    try {
      assert.equal(node.dapp, undefined);
      const res = await fetch(`${node.url}/`);
      assert.equal(res.status, 404);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, "not_found");
      // Without the dApp the node's own origin is no exception.
      const post = await fetch(`${node.url}/v1/embeddings`, { method: "POST", headers: { "content-type": "application/json", origin: node.url }, body: JSON.stringify({ input: "x" }) });
      assert.equal(post.status, 403);
    } finally {
      await node.stop();
    }
  });
});
