/**
 * A slow HTTP mirror for the "follow the chain" tests: it serves one file (with Range support)
 * but holds every byte past `holdAfter` until the test releases it, so a download lasts as long
 * as the test needs. Each request is recorded: the offset it asked for, what it was sent, and
 * whether the client went away (an aborted download closes its connection).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type SlowMirrorRequest = { offset: number; sent: number; closed: boolean };

export type SlowMirror = {
  url: string;
  /** Each request: the offset it asked for, how many bytes it was sent so far, whether its connection closed. */
  requests: SlowMirrorRequest[];
  /** Sends the held bytes, and everything to later requests. */
  release(): void;
  close(): Promise<void>;
};

/** An HTTP mirror of `bytes` (with Range support) that holds every byte past `holdAfter` until released. */
export async function slowMirror(bytes: Uint8Array, holdAfter: number, file = "model.gguf"): Promise<SlowMirror> {
  let released = false;
  let wake: Array<() => void> = [];
  const requests: SlowMirrorRequest[] = [];
  const server: Server = createServer(async (request, response) => {
    const offset = Number(/^bytes=(\d+)-$/.exec(request.headers.range ?? "")?.[1] ?? 0);
    const record: SlowMirrorRequest = { offset, sent: 0, closed: false };
    requests.push(record);
    let closed = false;
    response.once("close", () => {
      closed = true;
      record.closed = true;
      for (const w of wake.splice(0)) w();
    });
    const headers: Record<string, string | number> = { "content-type": "application/octet-stream", "content-length": bytes.byteLength - offset };
    if (offset > 0) headers["content-range"] = `bytes ${offset}-${bytes.byteLength - 1}/${bytes.byteLength}`;
    response.writeHead(offset > 0 ? 206 : 200, headers);
    for (let at = offset; at < bytes.byteLength && !closed; ) {
      if (!released && at >= holdAfter) {
        await new Promise<void>((resolve) => wake.push(resolve));
        continue;
      }
      const end = Math.min(bytes.byteLength, at + 64 * 1024, released ? Infinity : holdAfter);
      const ok = response.write(bytes.subarray(at, end));
      record.sent += end - at;
      at = end;
      if (!ok) {
        await new Promise<void>((resolve) => {
          const done = () => {
            response.off("drain", done).off("close", done);
            resolve();
          };
          response.on("drain", done).on("close", done);
        });
      }
    }
    if (!closed) response.end();
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/${file}`,
    requests,
    release() {
      released = true;
      for (const w of wake.splice(0)) w();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
