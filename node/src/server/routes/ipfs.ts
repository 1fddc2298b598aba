/**
 * `POST /api/ipfs`: adds one file (a model artifact) to the node's IPFS through the running node,
 * the way to publish while `ns-llm serve` holds the embedded repo (no second process may open it).
 *
 *   curl -X POST --data-binary @model.gguf -H 'content-type: application/octet-stream' \
 *        [-H "authorization: Bearer $NS_LLM_API_TOKEN"] http://127.0.0.1:5555/api/ipfs
 *   -> {"cid": "bafk…", "url": "ipfs://bafk…", "size": 123456}
 *
 * The body is streamed into IPFS (never held in memory) with the project's Kubo-equal import
 * settings, so the CID is the one `ns-llm ipfs add` and every other node compute. An admin route
 * (a write under /api/): it needs the API token when one is set. Bounded: a body larger than
 * `maxBytes` (the node's NS_LLM_MAX_MODEL_BYTES) is refused with 413, before reading when its
 * Content-Length says so. Other content types: 415. Uploads share a quota (the embedded repo's
 * NS_LLM_MAX_IPFS_BYTES, and the disk's free space less NS_LLM_MIN_FREE_BYTES): one that would
 * pass it is refused with 507 `storage_full`, and an upload refused or cut halfway leaves no
 * block behind (the IPFS client removes what a failed add wrote).
 */
import type { IncomingMessage } from "node:http";
import type { FastifyPluginAsync } from "fastify";
import { NsLlmError } from "../../errors.ts";
import { IpfsError, type IpfsClient } from "../../ipfs/index.ts";

export type IpfsAddRouteOptions = {
  ipfs: IpfsClient;
  /** The largest file accepted, in bytes. */
  maxBytes: number;
  /** Bytes uploads may still add (quota and disk); unbounded when unset. */
  room?: () => Promise<{ bytes: number; why: string }>;
};

export type IpfsAddRouteReturnType = { cid: string; url: string; size: number };

class BodyTooLarge extends NsLlmError<"body_too_large"> {
  constructor(maxBytes: number) {
    super("body_too_large", `the file is larger than this node's limit of ${maxBytes} bytes`, { hint: "raise NS_LLM_MAX_MODEL_BYTES" });
  }
}

class StorageFull extends NsLlmError<"storage_full"> {}

export const ipfsAddRoute: FastifyPluginAsync<IpfsAddRouteOptions> = async (app, { ipfs, maxBytes, room }) => {
  {
    // Hand the raw request stream to the handler: fastify's body limit (1 MiB) does not apply, ours does.
    app.addContentTypeParser("application/octet-stream", (_request, payload, done) => done(null, payload));

    app.post("/api/ipfs", async (request, reply) => {
      if (!(request.headers["content-type"] ?? "").startsWith("application/octet-stream")) {
        return reply.code(415).send({ error: { code: "unsupported_media_type", message: "send the file as application/octet-stream" } });
      }
      const declared = Number(request.headers["content-length"] ?? NaN);
      if (Number.isFinite(declared) && declared > maxBytes) {
        request.raw.resume(); // let the client finish sending before the answer
        return reply.code(413).send(tooLarge(maxBytes));
      }
      const space = room ? await room() : undefined;
      if (space && Number.isFinite(declared) && declared > space.bytes) {
        request.raw.resume();
        return reply.code(507).send(storageFull(space.why));
      }
      let size = 0;
      const body = request.body as IncomingMessage;
      async function* bounded(): AsyncGenerator<Uint8Array> {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          size += chunk.byteLength;
          if (size > maxBytes) throw new BodyTooLarge(maxBytes);
          if (space && size > space.bytes) throw new StorageFull("storage_full", space.why);
          yield chunk;
        }
      }
      const controller = new AbortController();
      reply.raw.once("close", () => {
        if (!reply.raw.writableFinished) controller.abort(new Error("the client closed the connection"));
      });
      try {
        const cid = await ipfs.addByteStream(bounded(), { signal: controller.signal });
        return { cid, url: `ipfs://${cid}`, size } satisfies IpfsAddRouteReturnType;
      } catch (error) {
        if (error instanceof BodyTooLarge) {
          reply.header("connection", "close");
          return reply.code(413).send(tooLarge(maxBytes));
        }
        if (error instanceof StorageFull) {
          reply.header("connection", "close");
          return reply.code(507).send(storageFull(error.message));
        }
        if (error instanceof IpfsError) {
          return reply.code(error.code === "unavailable" ? 502 : 503).send({ error: { code: `ipfs_${error.code}`, message: error.message } });
        }
        throw error;
      }
    });
  }
};

function storageFull(why: string) {
  return { error: { code: "storage_full", message: `the upload does not fit: ${why}` } };
}

function tooLarge(maxBytes: number) {
  return { error: { code: "body_too_large", message: `the file is larger than this node's limit of ${maxBytes} bytes (NS_LLM_MAX_MODEL_BYTES)` } };
}
