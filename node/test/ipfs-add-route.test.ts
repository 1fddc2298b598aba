/**
 * `POST /api/ipfs` (the `ipfsAddRoute` plugin): a file added to a real embedded IPFS node through
 * HTTP, under the CID every node computes; bounded in size whether or not the client says how
 * large the body is.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import { computeCid, openEmbeddedIpfs, type IpfsClient } from "../src/ipfs/index.ts";
import { ipfsAddRoute } from "../src/server/index.ts";

const MAX = 3 * 1024 * 1024;

describe("POST /api/ipfs", () => {
  let dir: string;
  let ipfs: IpfsClient;
  let app: FastifyInstance;
  let url: string;

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "ns-llm-ipfs-add-"));
    ipfs = await openEmbeddedIpfs({ repo: dir });
    app = Fastify({ bodyLimit: 1024 * 1024 });
    await app.register(ipfsAddRoute, { ipfs, maxBytes: MAX });
    url = await app.listen({ host: "127.0.0.1", port: 0 });
  });

  after(async () => {
    await app?.close();
    await ipfs?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const post = (body: BodyInit, headers: Record<string, string> = { "content-type": "application/octet-stream" }) =>
    fetch(`${url}/api/ipfs`, { method: "POST", headers, body, duplex: "half" } as RequestInit);

  it("adds a file larger than the JSON body limit under the CID every node computes", async () => {
    const bytes = randomBytes(2 * 1024 * 1024 + 17);
    const response = await post(bytes);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { cid: string; url: string; size: number };
    assert.deepEqual(body, { cid: await computeCid(bytes), url: `ipfs://${body.cid}`, size: bytes.byteLength });
    const back = await ipfs.catBytes(body.cid, { maxBytes: MAX, timeoutMs: 10_000 });
    assert.ok(Buffer.from(back).equals(bytes));
  });

  it("refuses a body above the limit with 413, from its Content-Length", async () => {
    const response = await post(randomBytes(MAX + 1));
    assert.equal(response.status, 413);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, "body_too_large");
  });

  it("refuses a streamed body (no Content-Length) once it passes the limit", async () => {
    const chunk = randomBytes(256 * 1024);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > MAX + chunk.byteLength) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const response = await post(stream).catch((error: Error) => error);
    // The node answers 413 as soon as the limit is passed; a client still sending may see the reset instead.
    if (response instanceof Error) assert.match(String((response.cause as Error | undefined)?.message ?? response.message), /reset|closed|socket|terminated|EPIPE/i);
    else assert.equal(response.status, 413);
  });

  it("refuses other content types with 415", async () => {
    const response = await post(JSON.stringify({ a: 1 }), { "content-type": "application/json" });
    assert.equal(response.status, 415);
  });
});
