/** Listens on host:port (port 0 = any free port) and returns the URL actually bound. */
import type { FastifyInstance } from "fastify";
import type { AddressInfo } from "node:net";
import { assertSafeBind } from "./auth.ts";

export type ListenParameters = { host: string; port: number; token: string | undefined };

export async function listen(app: FastifyInstance, { host, port, token }: ListenParameters): Promise<string> {
  assertSafeBind(host, token);
  await app.listen({ host, port });
  const address = app.server.address() as AddressInfo;
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `http://${shown}:${address.port}`;
}
