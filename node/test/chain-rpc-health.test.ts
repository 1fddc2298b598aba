/**
 * What /health says about the chain RPC, with a real node over real HTTP:
 *
 * - an RPC that accepts connections and never answers is reported unreachable within a bounded
 *   time (the node does not go on saying "ok" while its calls wait);
 * - an RPC that refuses connections is reported too;
 * - in neither case does the RPC URL's path, query or user info (where providers put their keys)
 *   appear in /health or /api/governance: the host only.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { after, test } from "node:test";
import { freePort, waitUntil } from "./helpers/processes.ts";
import { startTestNode } from "./helpers/api-node.ts";

const SECRET = "pk_live_5ecret0f7he0perator";

type Health = { status: string; reasons: string[]; governance: { lastError: { code: string; message: string } | null }; };

/** A TCP server that takes every connection and never writes a byte. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function healthOf(url: string): Promise<{ health: Health; text: string }> {
  const text = await (await fetch(`${url}/health`)).text();
  return { health: JSON.parse(text) as Health, text };
}

test("a chain RPC that accepts connections but never answers makes /health say so, without its key", { timeout: 180_000 }, async () => {
  const rpc = await silentServer();
  after(() => rpc.close());
  const rpcUrl = `http://user:${SECRET}@127.0.0.1:${rpc.port}/v2/${SECRET}?apikey=${SECRET}`;
  const node = await startTestNode({ chain: true }, { NS_LLM_RPC_URL: rpcUrl });
  after(() => node.stop());

  const { health, text } = await waitUntil(
    "the node to report the silent chain",
    async () => {
      const h = await healthOf(node.url);
      return h.health.governance.lastError?.code === "chain_unreachable" ? h : undefined;
    },
    60_000,
    undefined,
    250,
  );
  assert.equal(health.status, "degraded");
  assert.ok(health.reasons.some((r) => r.includes(`127.0.0.1:${rpc.port}`) && /cannot read the chain|does not answer/.test(r)), health.reasons.join("\n"));
  assert.ok(!text.includes(SECRET), `/health must not show the RPC URL's key:\n${text}`);

  const governance = await (await fetch(`${node.url}/api/governance`)).text();
  assert.ok(!governance.includes(SECRET), governance);
});

test("a chain RPC that refuses connections is reported, without its key", { timeout: 120_000 }, async () => {
  const port = await freePort(); // nothing listens there
  const node = await startTestNode({ chain: true }, { NS_LLM_RPC_URL: `https://127.0.0.1:${port}/v3/${SECRET}` });
  after(() => node.stop());
  const { health, text } = await waitUntil("the node to report the refused chain", async () => {
    const h = await healthOf(node.url);
    return h.health.governance.lastError?.code === "chain_unreachable" ? h : undefined;
  }, 60_000, undefined, 250);
  assert.equal(health.status, "degraded");
  assert.ok(health.reasons.some((r) => r.includes(`https://127.0.0.1:${port}`)), health.reasons.join("\n"));
  assert.ok(!text.includes(SECRET), text);
});
