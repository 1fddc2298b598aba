import { createServer } from "node:net";
import { NsLlmError } from "../../node/src/errors.ts";

/** Resolves when `port` on `host` can be bound; otherwise throws naming the variable that moves it. */
export async function assertPortFree(port: number, variable: string, host = "127.0.0.1"): Promise<void> {
  const free = await new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
  if (!free) {
    throw new StackError(`port ${port} on ${host} is already in use`, `stop what uses it, or set ${variable} to another port`);
  }
}

/** A port the OS says is free now. */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts connections on `port` (used to check that nothing is left behind). */
export async function isListening(port: number, host = "127.0.0.1"): Promise<boolean> {
  const { connect } = await import("node:net");
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A failure of the stack a person can act on: what happened and what to do. */
export class StackError extends NsLlmError<"stack_failed"> {
  declare readonly hint: string;
  constructor(what: string, hint: string) {
    super("stack_failed", what, { hint });
  }
}
