/**
 * An error a person can act on: `what` went wrong and `hint` says what to do. The CLI prints it as
 * one line, `error: <what> (<hint>)`, and exits with `exitCode` (1 failure, 2 wrong usage).
 */
import { NsLlmError } from "../errors.ts";

export class UserError extends NsLlmError<"failed" | "usage"> {
  readonly exitCode: 1 | 2;

  constructor(what: string, hint?: string, exitCode: 1 | 2 = 1) {
    super(exitCode === 2 ? "usage" : "failed", what, { hint });
    this.exitCode = exitCode;
  }
}

/** Wrong usage of a command: exit code 2. */
export class UsageError extends UserError {
  constructor(what: string, hint = "see ns-llm --help") {
    super(what, hint, 2);
  }
}
