/**
 * BERT's basic tokenization (HF `BasicTokenizer` / `BertNormalizer` + `BertPreTokenizer`): turns
 * raw text into words and punctuation marks, before WordPiece splits the words into pieces.
 *
 * - control characters (Unicode C*, except tab, newline, carriage return), NUL and U+FFFD go;
 * - whitespace (tab, newline, carriage return, space, Zs, line/paragraph separators) separates;
 * - lower-casing, then accents stripped (NFD, combining marks Mn removed);
 * - every punctuation character (Unicode P*, and the ASCII symbols $ + < = > ^ ` | ~ as BERT
 *   counts them) is a word of its own, and so is every CJK ideograph.
 */

export type BasicTokenizeOptions = {
  lowerCase: boolean;
  stripAccents: boolean;
  /** Isolate CJK ideographs (BERT's `tokenize_chinese_chars`). */
  handleChineseChars: boolean;
  /** Drop control characters and turn any whitespace into a separator (`clean_text`). */
  cleanText: boolean;
};

const combiningMarks = /\p{Mn}/gu;
const controlChar = /^\p{C}$/u;
const whitespaceChar = /^\s$/u;
const punctuationChar = /^\p{P}$/u;

/** The words and punctuation marks of `text`, normalised; empty strings never appear. */
export function basicTokenize(text: string, options: BasicTokenizeOptions): string[] {
  let s = text;
  if (options.lowerCase) s = s.toLowerCase();
  if (options.stripAccents) s = s.normalize("NFD").replace(combiningMarks, "");

  const words: string[] = [];
  let word = "";
  const flush = () => {
    if (word) words.push(word);
    word = "";
  };
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (options.cleanText && (cp === 0 || cp === 0xfffd || isControl(cp, ch))) continue;
    if (isWhitespace(cp, ch)) {
      flush();
    } else if (isPunctuation(cp, ch) || (options.handleChineseChars && isCjk(cp))) {
      flush();
      words.push(ch);
    } else {
      word += ch;
    }
  }
  flush();
  return words;
}

function isControl(cp: number, ch: string): boolean {
  if (cp === 9 || cp === 10 || cp === 13) return false; // counted as whitespace
  if (cp < 128) return cp < 32 || cp === 127;
  return controlChar.test(ch);
}

function isWhitespace(cp: number, ch: string): boolean {
  if (cp < 128) return cp === 32 || (cp >= 9 && cp <= 13);
  return whitespaceChar.test(ch);
}

function isPunctuation(cp: number, ch: string): boolean {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) {
    return true;
  }
  return cp >= 128 && punctuationChar.test(ch);
}

/** The CJK Unified Ideographs blocks, as BERT lists them (not Hangul, Hiragana or Katakana). */
function isCjk(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}
