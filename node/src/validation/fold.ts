/**
 * Case-insensitive matching on the original text. Lower-casing can change a string's length
 * ("İ" becomes "i̇", two UTF-16 units), so an index found in `text.toLowerCase()` is not an index
 * of `text`: cutting the original there could let part of a denied phrase through, or split a
 * surrogate pair. Here each code point is folded on its own and every folded unit remembers where
 * its code point starts in the original, so a match maps back to an exact cut in the original
 * text, always on a code point boundary.
 */

/** The folded text, and for each of its UTF-16 units the original index of its code point (plus the original length at the end). */
export type Folded = { text: string; origin: number[] };

/** Folds one code point: lower case of its upper case (so "ß"/"ẞ", "ς"/"σ" fold alike where JS can). */
function foldCodePoint(ch: string): string {
  return ch.toUpperCase().toLowerCase();
}

export function fold(text: string): Folded {
  let out = "";
  const origin: number[] = [];
  let i = 0;
  for (const ch of text) {
    const f = foldCodePoint(ch);
    out += f;
    for (let k = 0; k < f.length; k++) origin.push(i);
    i += ch.length;
  }
  origin.push(text.length);
  return { text: out, origin };
}

/** A pattern folded the same way (for comparing with `fold(text).text`). */
export function foldPattern(pattern: string): string {
  return fold(pattern).text;
}

/** The first match of any folded pattern in `folded`: its original start index and the pattern, or undefined. */
export function firstMatch(folded: Folded, patterns: readonly string[]): { at: number; pattern: string } | undefined {
  let best: { at: number; pattern: string } | undefined;
  for (const pattern of patterns) {
    const i = folded.text.indexOf(pattern);
    if (i !== -1 && (best === undefined || folded.origin[i]! < best.at)) best = { at: folded.origin[i]!, pattern };
  }
  return best;
}
