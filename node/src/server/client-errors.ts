/**
 * Requests Node's HTTP parser refuses before fastify sees them (a header with a forbidden
 * character, headers past the size limit, a request that took too long to arrive): answered in
 * the API's JSON error shape like every other error (fastify's default writes its own shape),
 * then the socket is closed, as Node does.
 */
import http from "node:http";
import type { Socket } from "node:net";

const ANSWERS: Record<string, [number, string, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, "request_timeout", "the request did not arrive in time"],
  HPE_HEADER_OVERFLOW: [431, "headers_too_large", "the request's headers are too large"],
};

export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const [status, code, message] = ANSWERS[error.code ?? ""] ?? [400, "bad_request", "the request is not valid HTTP"];
  const body = JSON.stringify({ error: { code, message } });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(error);
}
