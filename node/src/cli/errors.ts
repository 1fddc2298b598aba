/**
 * An error a person can act on: `what` went wrong and `hint` says what to do. The CLI prints it as
 * one line, `error: <what> (<hint>)`, and exits with `exitCode` (1 failure, 2 wrong usage).
 */
export class UserError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: 1 | 2;

  constructor(what: string, hint?: string, exitCode: 1 | 2 = 1) {
    super(what);
    this.name = "UserError";
    this.hint = hint;
    this.exitCode = exitCode;
  }
}

/** Wrong usage of a command: exit code 2. */
export class UsageError extends UserError {
  constructor(what: string, hint = "see ns-llm --help") {
    super(what, hint, 2);
    this.name = "UsageError";
  }
}
