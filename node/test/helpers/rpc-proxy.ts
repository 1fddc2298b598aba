/**
 * A JSON-RPC relay in front of the test chain that the test can cut: a node whose follower reads
 * the chain through it loses the chain on `cut()` (every call answers 503) and keeps serving what
 * it applied, as a node whose RPC provider fails does; `restore()` lets it catch up.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export type RpcProxy = { url: string; cut(): void; restore(): void; close(): Promise<void> };

export async function rpcProxy(target: string): Promise<RpcProxy> {
  let cut = false;
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (cut) {
      response.writeHead(503, { "content-type": "text/plain" }).end("cut by the test");
      return;
    }
    try {
      const upstream = await fetch(target, { method: request.method, headers: { "content-type": "application/json" }, body: request.method === "POST" ? Buffer.concat(chunks) : undefined });
      response.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/json" }).end(Buffer.from(await upstream.arrayBuffer()));
    } catch (error) {
      response.writeHead(502).end(String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cut: () => void (cut = true),
    restore: () => void (cut = false),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
