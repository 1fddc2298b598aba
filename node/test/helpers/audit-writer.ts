/**
 * A child process for the crash test: appends to the audit log at argv[2] from 8 concurrent
 * writers, as fast as it can, with batches closing on size and time, and prints `<seq> <leaf>` for
 * every append the log acknowledged. The test kills it with SIGKILL at a random moment.
 */
import { AuditAnchorer, openAuditLog } from "../../src/audit/index.ts";

const log = openAuditLog({ file: process.argv[2]! });
new AuditAnchorer({ log, batchSize: 37, batchIntervalMs: 20 }).start();
process.stdout.write("ready\n");
const writer = async (w: number) => {
  for (let i = 0; ; i++) {
    const { seq, leaf } = await log.append({ type: "request", route: "/generate", writer: w, i, inputSha256: `0x${"11".repeat(32)}` });
    // One write(2) per line, under PIPE_BUF: a kill never leaves half a line.
    process.stdout.write(`${seq} ${leaf}\n`);
  }
};
await Promise.all(Array.from({ length: 8 }, (_, w) => writer(w)));
