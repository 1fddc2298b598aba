/**
 * Stopping the HTTP side cleanly: stop accepting, let running generations finish within a grace
 * period, cancel the rest (streams get their final event), then close the connections.
 */
import type { FastifyInstance } from "fastify";
import type { Scheduler } from "../serving/index.ts";

export type ShutdownParameters = { app: FastifyInstance; scheduler: Scheduler; graceMs: number };

export async function shutdown({ app, scheduler, graceMs }: ShutdownParameters): Promise<void> {
  const stopped = app.close(); // stops accepting; waits for requests in flight
  scheduler.close(); // waiting requests get 503 shutting_down
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([scheduler.idle(), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
  clearTimeout(timer);
  scheduler.abortRunning(); // what is still running is cancelled (streams get their final event)
  // Connections that finished their answer stay open as idle keep-alives: close them as they
  // become idle, and everything after a second more.
  const idle = setInterval(() => app.server.closeIdleConnections(), 25);
  const forced = setTimeout(() => app.server.closeAllConnections(), 1000);
  await stopped;
  clearInterval(idle);
  clearTimeout(forced);
}
