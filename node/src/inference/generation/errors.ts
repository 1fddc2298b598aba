/**
 * A request the engine refuses because of what it asks (bad sampling values, a prompt longer
 * than the context): the caller's fault, so an HTTP API answers it with a 400, not a 500.
 */
export class GenerationRequestError extends Error {
  override readonly name = "GenerationRequestError";
  readonly code: "invalid_parameter" | "prompt_too_long";

  constructor(code: GenerationRequestError["code"], message: string) {
    super(message);
    this.code = code;
  }
}

/** The engine was disposed (or is being disposed): the request was not started. */
export class GenerationEngineDisposedError extends Error {
  override readonly name = "GenerationEngineDisposedError";

  constructor() {
    super("the generation engine is disposed (the model was unloaded or swapped; retry to use the current one)");
  }
}
