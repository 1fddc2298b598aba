/**
 * A node that lies: an HTTP proxy in front of a real NS-LLM node that passes everything through
 * (streams included, CORS answered by the node) except what a test tells it to falsify: the bytes
 * of a manifest, the CID and digest a publication returns, the audit seq of a chat answer. The
 * dApp, pointed at it, must catch each lie from the chain and its own hashes.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import type { Hex } from "viem";

export type Lies = {
  /** GET /api/manifests/<cid>: these bytes instead of the stored ones (with a digest header to match them). */
  manifests: Map<string, Uint8Array>;
  /** POST /api/manifests: this CID and digest instead of the node's. */
  publish: { cid: string; digest: Hex } | undefined;
  /** POST /v1/chat/completions: this audit seq instead of the answer's own. */
  auditSeq: number | undefined;
};

export type LyingProxy = { url: string; lies: Lies; stop(): Promise<void> };

const HOP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"]);

async function body(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function headersOf(response: Response, override: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    if (!HOP.has(key)) out[key] = value;
  });
  return { ...out, ...override };
}

export async function startLyingProxy(target: string): Promise<LyingProxy> {
  const lies: Lies = { manifests: new Map(), publish: undefined, auditSeq: undefined };

  async function handle(request: IncomingMessage, reply: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", target);
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(request.headers)) if (!HOP.has(key) && typeof value === "string") headers[key] = value;
    const sent = request.method === "GET" || request.method === "HEAD" ? undefined : await body(request);
    const response = await fetch(url, { method: request.method, headers, body: sent ? new Uint8Array(sent) : undefined, redirect: "manual" });

    const manifest = /^\/api\/manifests\/([^/?]+)$/.exec(url.pathname);
    if (request.method === "GET" && manifest && lies.manifests.has(decodeURIComponent(manifest[1]!)) && response.ok) {
      await response.arrayBuffer();
      const fake = lies.manifests.get(decodeURIComponent(manifest[1]!))!;
      const digest = `0x${Buffer.from(await crypto.subtle.digest("SHA-256", new Uint8Array(fake))).toString("hex")}`;
      reply.writeHead(200, headersOf(response, { "x-ns-llm-manifest-digest": digest, "content-length": String(fake.length) }));
      return void reply.end(fake);
    }
    if (request.method === "POST" && url.pathname === "/api/manifests" && lies.publish && response.ok) {
      await response.arrayBuffer();
      const text = JSON.stringify(lies.publish);
      reply.writeHead(200, headersOf(response, { "content-length": String(Buffer.byteLength(text)) }));
      return void reply.end(text);
    }
    if (request.method === "POST" && url.pathname === "/v1/chat/completions" && lies.auditSeq !== undefined && response.ok) {
      // The whole stream, then the seq swapped in its header and in the last chunk's ns_llm field.
      const text = (await response.text()).replace(/"auditSeq":\d+/g, `"auditSeq":${lies.auditSeq}`);
      reply.writeHead(response.status, headersOf(response, { "x-ns-llm-audit-seq": String(lies.auditSeq), "content-length": String(Buffer.byteLength(text)) }));
      return void reply.end(text);
    }
    reply.writeHead(response.status, headersOf(response));
    if (!response.body) return void reply.end();
    const stream = Readable.fromWeb(response.body as never);
    // A client that goes away (Stop in the chat) closes the node's stream too.
    reply.on("close", () => stream.destroy());
    stream.pipe(reply);
  }

  const server = createServer((request, reply) => {
    handle(request, reply).catch((error: Error) => {
      if (!reply.headersSent) reply.writeHead(502, { "content-type": "application/json" });
      reply.end(JSON.stringify({ error: { code: "proxy_error", message: error.message } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    lies,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
