/**
 * The governed deny patterns (`parameters.validation.denyPatterns`): text that must never reach a
 * client. Matched case-insensitively as plain substrings (not regular expressions, so a governed
 * pattern cannot make matching slow), on the original text: each code point is folded on its own
 * and a match maps back to its exact start (validation/fold.ts), so a lower-casing that changes
 * lengths ("İ") cannot shift the cut. While streaming, the filter holds back whatever could be the
 * start of a pattern (the last folded length - 1 units, rounded to whole code points), so no part
 * of a match is ever sent: a pattern can only be seen whole, and then generation stops there.
 */
import { firstMatch, fold, foldPattern } from "../validation/fold.ts";

export class DenyFilter {
  readonly #patterns: string[];
  readonly #holdBack: number;
  #held = "";
  #emitted = "";
  #matched: string | undefined;

  constructor(patterns: readonly string[]) {
    this.#patterns = [...new Set(patterns.map(foldPattern).filter((p) => p.length > 0))];
    this.#holdBack = Math.max(0, ...this.#patterns.map((p) => p.length - 1));
  }

  get active(): boolean {
    return this.#patterns.length > 0;
  }

  /** The pattern that matched (folded), once one has. */
  get matched(): string | undefined {
    return this.#matched;
  }

  /** Everything passed on to the client so far. */
  get emitted(): string {
    return this.#emitted;
  }

  /** Adds generated text; returns what may be sent now (empty while held back or after a match). */
  push(text: string): string {
    if (this.#matched !== undefined) return "";
    this.#held += text;
    const folded = fold(this.#held);
    const match = firstMatch(folded, this.#patterns);
    if (match) {
      this.#matched = match.pattern;
      return this.#emit(match.at);
    }
    // Keep the folded tail that could still begin a pattern; its origin is a code point boundary.
    const keepFrom = Math.max(0, folded.text.length - this.#holdBack);
    return this.#emit(folded.origin[keepFrom]!);
  }

  /** At the end of a generation without a match: the text still held back. */
  flush(): string {
    return this.#matched !== undefined ? "" : this.#emit(this.#held.length);
  }

  #emit(cut: number): string {
    const out = this.#held.slice(0, cut);
    this.#held = this.#matched !== undefined ? "" : this.#held.slice(cut);
    this.#emitted += out;
    return out;
  }
}
