import { NsLlmError } from "../../errors.ts";

/**
 * A request the engine refuses because of what it asks (bad sampling values, a prompt longer
 * than the context): the caller's fault, so an HTTP API answers it with a 400, not a 500.
 */
export class GenerationRequestError extends NsLlmError<"invalid_parameter" | "prompt_too_long" | "unsupported_schema"> {}

/** The engine was disposed (or is being disposed): the request was not started. */
export class GenerationEngineDisposedError extends NsLlmError<"engine_disposed"> {
  constructor() {
    super("engine_disposed", "the generation engine is disposed (the model was unloaded or swapped)", { transient: true, hint: "retry to use the current one" });
  }
}
