/**
 * The governed deny patterns (`parameters.validation.denyPatterns`): text that must never reach a
 * client. Matched case-insensitively as plain substrings (not regular expressions, so a governed
 * pattern cannot make matching slow). While streaming, the filter holds back the last
 * (longest pattern - 1) characters, so no part of a match is ever sent: a pattern can only be seen
 * whole, and then generation stops there.
 */
export class DenyFilter {
  readonly #patterns: string[];
  readonly #holdBack: number;
  #held = "";
  #emitted = "";
  #matched: string | undefined;

  constructor(patterns: readonly string[]) {
    this.#patterns = [...new Set(patterns.map((p) => p.toLowerCase()).filter((p) => p.length > 0))];
    this.#holdBack = Math.max(0, ...this.#patterns.map((p) => p.length - 1));
  }

  get active(): boolean {
    return this.#patterns.length > 0;
  }

  /** The pattern that matched, once one has. */
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
    const lower = this.#held.toLowerCase();
    let at = -1;
    for (const pattern of this.#patterns) {
      const i = lower.indexOf(pattern);
      if (i !== -1 && (at === -1 || i < at)) {
        at = i;
        this.#matched = pattern;
      }
    }
    const cut = at !== -1 ? at : Math.max(0, this.#held.length - this.#holdBack);
    return this.#emit(cut);
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
