/**
 * Manifests over HTTP, as a fastify plugin the server registers (`plugins: [manifestRoutes({ ipfs })]`):
 *
 * - `POST /api/manifests` with a manifest as `application/json` -> `{"cid", "digest"}`. The exact
 *   bytes received are validated (400 `{"error": {"code", "message", "problems": [{"pointer",
 *   "message"}]}}` listing every reason) and then added to IPFS, so `digest` is the sha256 of what
 *   the client sent and a file's digest computed locally (`ns-llm manifest validate`) matches.
 * - `GET /api/manifests/:cid` -> the manifest's exact bytes as JSON, with `x-ns-llm-manifest-digest`
 *   and immutable caching (the content cannot change under its CID). 400 `invalid_cid` for a
 *   malformed CID, 404 `not_found` when IPFS cannot produce it in time, 422 when it is not a JSON
 *   document of manifest size, 502 when the Kubo daemon does not answer.
 */
import type { ServerResponse } from "node:http";
import type { FastifyPluginAsync, FastifyReply } from "fastify";
import { fetchManifest, IpfsError, isCid, publishManifest, type IpfsClient } from "../../ipfs/index.ts";
import { ManifestError, manifestDigest, parseManifest } from "../../manifest/index.ts";

/** Refuses a manifest by throwing (a ManifestError lists its problems); the default is `parseManifest`. */
export type ManifestValidator = (bytes: Uint8Array) => unknown;

export type ManifestRoutesOptions = {
  ipfs: IpfsClient;
  /** Default: `parseManifest(bytes)` (schema and the node's rules, no size limit on artifacts). */
  validate?: ManifestValidator;
  /** How long GET waits for IPFS before answering 404. Default 10 s. */
  fetchTimeoutMs?: number;
};

export const manifestRoutes: FastifyPluginAsync<ManifestRoutesOptions> = async (app, options) => {
  const { ipfs } = options;
  const validate: ManifestValidator = options.validate ?? ((bytes) => parseManifest(bytes));
  const fetchTimeoutMs = options.fetchTimeoutMs ?? 10_000;
  {
    // The manifest's exact bytes, not a re-serialisation: its digest is of what the client sent.
    // Scoped to this plugin; the server's other routes keep fastify's JSON parser.
    app.removeContentTypeParser("application/json");
    app.addContentTypeParser("application/json", { parseAs: "buffer" }, (_request, body, done) => done(null, body));

    app.post("/api/manifests", async (request, reply) => {
      const body = request.body;
      const bytes = Buffer.isBuffer(body) ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength) : new Uint8Array();
      try {
        validate(bytes);
      } catch (error) {
        if (error instanceof ManifestError) {
          return reply.code(400).send({ error: { code: error.code, message: error.message, problems: error.problems } });
        }
        return send(reply, 400, "manifest_invalid", (error as Error).message);
      }
      try {
        return await publishManifest(ipfs, bytes, { signal: abortOnClose(reply.raw) });
      } catch (error) {
        return ipfsFailure(reply, error, request.log);
      }
    });

    app.get<{ Params: { cid: string } }>("/api/manifests/:cid", async (request, reply) => {
      const { cid } = request.params;
      if (!isCid(cid)) return send(reply, 400, "invalid_cid", `"${cid.slice(0, 100)}" is not a CID`);
      let bytes: Uint8Array;
      try {
        bytes = await fetchManifest(ipfs, cid, { timeoutMs: fetchTimeoutMs, signal: abortOnClose(reply.raw) });
      } catch (error) {
        return ipfsFailure(reply, error, request.log);
      }
      try {
        JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
      } catch {
        return send(reply, 422, "not_a_manifest", `${cid} is not a JSON document`);
      }
      return reply
        .header("content-type", "application/json; charset=utf-8")
        .header("x-ns-llm-manifest-digest", manifestDigest(bytes))
        .header("etag", `"${cid}"`)
        .header("cache-control", "public, max-age=31536000, immutable")
        .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    });
  }
};

function send(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).send({ error: { code, message } });
}

/** IPFS faults as HTTP answers. */
function ipfsFailure(reply: FastifyReply, error: unknown, log: { error: (o: object, m: string) => void }): FastifyReply {
  if (!(error instanceof IpfsError)) {
    log.error({ err: error }, "IPFS request failed");
    return send(reply, 500, "internal", "internal error (see the node's log)");
  }
  const message = `${error.message}${error.hint ? ` (${error.hint})` : ""}`;
  switch (error.code) {
    case "invalid_cid":
      return send(reply, 400, "invalid_cid", message);
    case "not_found":
    case "timeout":
      return send(reply, 404, "not_found", message);
    case "too_large":
      return send(reply, 422, "manifest_too_large", message);
    case "not_a_file":
      return send(reply, 422, "not_a_manifest", message);
    case "unavailable":
    case "cid_mismatch":
      return send(reply, 502, `ipfs_${error.code}`, message);
    default:
      return send(reply, 503, `ipfs_${error.code}`, message);
  }
}

/** Aborts when the client goes away before the answer, so IPFS work stops with it. */
function abortOnClose(response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  response.once("close", () => {
    if (!response.writableFinished) controller.abort(new Error("the client closed the connection"));
  });
  return controller.signal;
}
