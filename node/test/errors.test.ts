/**
 * One error base: every refusal carries a code in one spelling, whether retrying can help, and a
 * hint; the follower decides to retry from `transient` alone, and the HTTP server maps codes to
 * statuses in one table.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { API_ERROR_CODES, ADOPTION_ERROR_CODES } from "@ns-llm/contracts";
import { NsLlmError } from "../src/errors.ts";
import { toAdoptionError } from "../src/governance/index.ts";
import { InsufficientMemoryError } from "../src/inference/index.ts";
import { IpfsError } from "../src/ipfs/index.ts";
import { ManifestError } from "../src/manifest/index.ts";
import { toApiError } from "../src/server/index.ts";
import { InvalidRequestError, QueueFullError, UnavailableError } from "../src/serving/index.ts";

describe("errors", () => {
  it("a model too large for the machine is refused once, not retried", () => {
    const e = toAdoptionError(new InsufficientMemoryError("the generation model x", 8 * 1024 ** 3, 1024 ** 3));
    assert.equal(e.code, "insufficient_memory");
    assert.equal(e.transient, false);
    assert.match(e.hint ?? "", /smaller model/);
  });

  it("the follower retries what can pass and refuses the rest, from the error itself", () => {
    assert.equal(toAdoptionError(new IpfsError("timeout", "no provider")).transient, true);
    assert.equal(toAdoptionError(new ManifestError("manifest_invalid", [{ pointer: "/name", message: "is required" }])).transient, false);
    assert.equal(toAdoptionError(new ManifestError("manifest_invalid", [])).code, "manifest_invalid");
    // A fault nobody named is worth another try, under its own code.
    const unknown = toAdoptionError(new Error("the loader crashed"));
    assert.deepEqual([unknown.code, unknown.transient], ["apply_failed", true]);
  });

  it("codes are lower snake case everywhere", () => {
    for (const code of [...API_ERROR_CODES, ...ADOPTION_ERROR_CODES]) assert.match(code, /^[a-z][a-z0-9_]*$/, code);
  });

  it("the server maps domain errors to statuses, with the hint in the message", () => {
    const full = toApiError(new QueueFullError(3));
    assert.deepEqual([full.status, full.code, full.headers["retry-after"]], [429, "queue_full", "3"]);
    assert.equal(toApiError(new InvalidRequestError("prompt_too_long", "too long")).status, 400);
    const unavailable = toApiError(new UnavailableError("embedding_unavailable", "no embedding model is loaded"));
    assert.deepEqual([unavailable.status, unavailable.message], [503, "no embedding model is loaded (see GET /health)"]);
    assert.equal(toApiError(new InsufficientMemoryError("x", 2, 1)).status, 503);
    // An error the table does not know is an internal error, never its own message.
    const internal = toApiError(new NsLlmError("secret_detail", "details of the machine"));
    assert.deepEqual([internal.status, internal.code], [500, "internal"]);
  });
});
