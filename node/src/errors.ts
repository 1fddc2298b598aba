/**
 * The one base of every error the node raises on purpose. Each says what went wrong (`message`),
 * a stable `code` in one spelling (lower snake case; the HTTP API and /api/governance carry it),
 * whether trying the same thing again later can succeed (`transient`), and what a person can do
 * about it (`hint`). Callers decide from these fields, never from a class name or a list of
 * other modules' codes: the follower retries a `transient` failure and refuses the others once,
 * the HTTP server maps `code` to a status, the CLI prints `error: <message> (<hint>)`.
 */
export type NsLlmErrorOptions = {
  /** Trying again later can succeed (a network fault, a full queue). Default false. */
  transient?: boolean;
  /** What to do about it, for a person. */
  hint?: string;
  cause?: unknown;
};

export class NsLlmError<C extends string = string> extends Error {
  readonly code: C;
  readonly transient: boolean;
  readonly hint: string | undefined;

  constructor(code: C, message: string, options: NsLlmErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.transient = options.transient ?? false;
    this.hint = options.hint;
  }

  /** The message, with the hint in parentheses when there is one. */
  describe(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
}

/** True for an NsLlmError (of `code`, when given). */
export function isNsLlmError<C extends string>(error: unknown, code?: C): error is NsLlmError<C> {
  return error instanceof NsLlmError && (code === undefined || error.code === code);
}
