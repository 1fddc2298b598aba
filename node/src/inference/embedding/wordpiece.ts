/**
 * A WordPiece tokenizer that gives the same ids as HF's BertTokenizer (slow and fast) for
 * single sentences: basic tokenization (./basic-tokenize.ts), then greedy longest-match-first
 * pieces with a `##` prefix after the first, `[UNK]` for a word that cannot be matched or is
 * longer than 100 characters, `[CLS] ... [SEP]`, truncation to the model's max length, and
 * batches padded to their longest sequence. It reads a standard `vocab.txt` or a HF
 * `tokenizer.json` whose model is WordPiece.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { basicTokenize, type BasicTokenizeOptions } from "./basic-tokenize.ts";

export type WordPieceOptions = {
  /** Tokens in id order, or token -> id. */
  vocab: readonly string[] | ReadonlyMap<string, number>;
  /** Most tokens of one encoded text, [CLS] and [SEP] included. Default 512. */
  maxLength?: number;
  /** Default true (uncased models such as all-MiniLM-L6-v2). */
  lowerCase?: boolean;
  /** Default: the same as lowerCase (BERT's rule when `strip_accents` is unset). */
  stripAccents?: boolean;
  handleChineseChars?: boolean;
  cleanText?: boolean;
  unkToken?: string;
  clsToken?: string;
  sepToken?: string;
  padToken?: string;
  continuingSubwordPrefix?: string;
  maxInputCharsPerWord?: number;
  /** Tokens matched verbatim in the raw text, never split (default: the five BERT specials in the vocab). */
  specialTokens?: readonly string[];
};

/** A batch ready for the model: `[batchSize, sequenceLength]` tensors in row-major order. */
export type EncodedBatch = {
  batchSize: number;
  sequenceLength: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
  /** Real tokens (mask ones) of each row. */
  lengths: number[];
};

export type WordPieceTokenizer = {
  readonly vocabSize: number;
  readonly maxLength: number;
  /** Word pieces of `text`, without [CLS]/[SEP] and without truncation. */
  tokenize(text: string): string[];
  /** Ids of `text`: [CLS] pieces [SEP], truncated to maxLength. */
  encode(text: string): number[];
  /** Encodes and pads every text to the longest of the batch. */
  encodeBatch(texts: readonly string[]): EncodedBatch;
  /** Pads encoded texts (from `encode`) to the longest of them. */
  pad(encoded: readonly (readonly number[])[]): EncodedBatch;
  /** The token of an id, or undefined. */
  idToToken(id: number): string | undefined;
};

const BERT_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
/** Words seen more often than this many distinct ones are not cached (memory stays bounded). */
const WORD_CACHE_LIMIT = 50_000;

export function createWordPiece(options: WordPieceOptions): WordPieceTokenizer {
  const vocab =
    options.vocab instanceof Map
      ? new Map(options.vocab)
      : new Map((options.vocab as readonly string[]).map((token, id) => [token, id] as const));
  const idToToken = new Map<number, string>();
  for (const [token, id] of vocab) if (!idToToken.has(id)) idToToken.set(id, token);

  const lowerCase = options.lowerCase ?? true;
  const basic: BasicTokenizeOptions = {
    lowerCase,
    stripAccents: options.stripAccents ?? lowerCase,
    handleChineseChars: options.handleChineseChars ?? true,
    cleanText: options.cleanText ?? true,
  };
  const prefix = options.continuingSubwordPrefix ?? "##";
  const maxInputChars = options.maxInputCharsPerWord ?? 100;
  const maxLength = options.maxLength ?? 512;
  if (!Number.isInteger(maxLength) || maxLength < 2) {
    throw new Error(`maxLength must be an integer >= 2 (room for [CLS] and [SEP]), got ${maxLength}`);
  }
  const need = (token: string) => {
    const id = vocab.get(token);
    if (id === undefined) throw new Error(`the vocabulary has no ${token} token`);
    return id;
  };
  const unkToken = options.unkToken ?? "[UNK]";
  const unkId = need(unkToken);
  const clsId = need(options.clsToken ?? "[CLS]");
  const sepId = need(options.sepToken ?? "[SEP]");
  const padId = need(options.padToken ?? "[PAD]");

  // Longest piece in code points: no match is ever longer, so the greedy search starts there.
  let longestPiece = 1;
  for (const token of vocab.keys()) {
    const body = token.startsWith(prefix) ? token.slice(prefix.length) : token;
    longestPiece = Math.max(longestPiece, [...body].length);
  }

  const specials = (options.specialTokens ?? BERT_SPECIALS).filter((t) => vocab.has(t));
  const specialSplit = specials.length
    ? new RegExp(`(${specials.map(escapeRegExp).sort((a, b) => b.length - a.length).join("|")})`)
    : undefined;

  const cache = new Map<string, readonly string[]>();

  /** Greedy longest-match-first pieces of one word; [UNK] alone when any part cannot be matched. */
  function wordPieces(word: string): readonly string[] {
    const cached = cache.get(word);
    if (cached) return cached;
    const chars = [...word];
    let pieces: string[];
    if (chars.length > maxInputChars) {
      pieces = [unkToken];
    } else {
      pieces = [];
      let start = 0;
      while (start < chars.length) {
        let end = Math.min(chars.length, start + longestPiece);
        let match: string | undefined;
        while (start < end) {
          const piece = (start > 0 ? prefix : "") + chars.slice(start, end).join("");
          if (vocab.has(piece)) {
            match = piece;
            break;
          }
          end--;
        }
        if (match === undefined) {
          pieces = [unkToken];
          break;
        }
        pieces.push(match);
        start = end;
      }
    }
    if (cache.size >= WORD_CACHE_LIMIT) cache.clear();
    cache.set(word, pieces);
    return pieces;
  }

  function tokenize(text: string): string[] {
    const out: string[] = [];
    const parts = specialSplit ? text.split(specialSplit) : [text];
    parts.forEach((part, i) => {
      // With a capturing split, odd indexes are the special tokens themselves.
      if (i % 2 === 1) out.push(part);
      else for (const word of basicTokenize(part, basic)) out.push(...wordPieces(word));
    });
    return out;
  }

  function encode(text: string): number[] {
    if (typeof text !== "string") throw new TypeError(`text must be a string, got ${typeof text}`);
    const pieces = tokenize(text);
    const ids = [clsId];
    const room = Math.min(pieces.length, maxLength - 2);
    for (let i = 0; i < room; i++) ids.push(vocab.get(pieces[i]!) ?? unkId);
    ids.push(sepId);
    return ids;
  }

  function pad(encoded: readonly (readonly number[])[]): EncodedBatch {
    const lengths = encoded.map((ids) => ids.length);
    const batchSize = encoded.length;
    const sequenceLength = Math.max(0, ...lengths);
    const size = batchSize * sequenceLength;
    const inputIds = new BigInt64Array(size);
    const attentionMask = new BigInt64Array(size);
    const tokenTypeIds = new BigInt64Array(size); // one segment: all zeros
    if (padId !== 0) inputIds.fill(BigInt(padId));
    encoded.forEach((ids, row) => {
      const base = row * sequenceLength;
      for (let i = 0; i < ids.length; i++) {
        inputIds[base + i] = BigInt(ids[i]!);
        attentionMask[base + i] = 1n;
      }
    });
    return { batchSize, sequenceLength, inputIds, attentionMask, tokenTypeIds, lengths };
  }

  return {
    vocabSize: vocab.size,
    maxLength,
    tokenize,
    encode,
    encodeBatch: (texts) => pad(texts.map(encode)),
    pad,
    idToToken: (id) => idToToken.get(id),
  };
}

export type LoadWordPieceParameters = {
  /** A `vocab.txt` (one token a line, id = line number) or a HF `tokenizer.json`. */
  path: string;
} & Partial<Pick<WordPieceOptions, "maxLength" | "lowerCase" | "stripAccents">>;

/**
 * Reads a tokenizer file. A `.json` file is read as HF `tokenizer.json` (its normalizer,
 * special tokens and truncation length are used); anything else as `vocab.txt` with BERT's
 * uncased defaults. Options given here win over the file's.
 */
export async function loadWordPiece(parameters: LoadWordPieceParameters): Promise<WordPieceTokenizer> {
  const file = parameters.path;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new Error(`cannot read the tokenizer file ${file}: ${(error as Error).message}`, { cause: error });
  }
  const overrides = definedOnly({
    maxLength: parameters.maxLength,
    lowerCase: parameters.lowerCase,
    stripAccents: parameters.stripAccents,
  });
  if (path.extname(file).toLowerCase() === ".json") {
    return createWordPiece({ ...tokenizerJsonOptions(text, file), ...overrides });
  }
  const vocab = text.split("\n");
  if (vocab.at(-1) === "") vocab.pop(); // the final newline ends the last line, it adds no token
  return createWordPiece({ vocab: vocab.map((t) => t.replace(/\r$/, "")), ...overrides });
}

/** The options that a HF `tokenizer.json` with a WordPiece model and BERT normalizer implies. */
function tokenizerJsonOptions(text: string, file: string): WordPieceOptions {
  const fail = (what: string): never => {
    throw new Error(`unsupported tokenizer file ${file}: ${what}`);
  };
  let json: TokenizerJson;
  try {
    json = JSON.parse(text) as TokenizerJson;
  } catch (error) {
    return fail(`not JSON (${(error as Error).message})`);
  }
  const model = json.model;
  if (model?.type !== "WordPiece" || typeof model.vocab !== "object" || model.vocab === null) {
    return fail(`the model is ${model?.type ?? "missing"}, only WordPiece is supported`);
  }
  const vocab = new Map(Object.entries(model.vocab));
  for (const added of json.added_tokens ?? []) vocab.set(added.content, added.id);

  const normalizer = json.normalizer;
  if (normalizer && normalizer.type !== "BertNormalizer") fail(`normalizer ${normalizer.type}, expected BertNormalizer`);
  const preTokenizer = json.pre_tokenizer;
  if (preTokenizer && preTokenizer.type !== "BertPreTokenizer") {
    fail(`pre-tokenizer ${preTokenizer.type}, expected BertPreTokenizer`);
  }
  const lowerCase = normalizer ? normalizer.lowercase ?? true : false;
  const [clsToken, sepToken] = specialTokensOf(json.post_processor);
  const specialTokens = (json.added_tokens ?? []).filter((t) => t.special).map((t) => t.content);
  return {
    vocab,
    maxLength: json.truncation?.max_length ?? undefined,
    lowerCase,
    stripAccents: normalizer ? normalizer.strip_accents ?? lowerCase : false,
    handleChineseChars: normalizer ? normalizer.handle_chinese_chars ?? true : false,
    cleanText: normalizer ? normalizer.clean_text ?? true : false,
    unkToken: model.unk_token ?? "[UNK]",
    continuingSubwordPrefix: model.continuing_subword_prefix ?? "##",
    maxInputCharsPerWord: model.max_input_chars_per_word ?? 100,
    padToken: json.padding?.pad_token ?? "[PAD]",
    clsToken,
    sepToken,
    specialTokens: specialTokens.length ? specialTokens : undefined,
  };
}

/** [CLS] and [SEP] as the post-processor names them (BertProcessing or TemplateProcessing). */
function specialTokensOf(post: TokenizerJson["post_processor"]): [string, string] {
  if (post?.type === "BertProcessing" && post.cls && post.sep) return [post.cls[0], post.sep[0]];
  if (post?.type === "TemplateProcessing" && post.single) {
    const first = post.single[0]?.SpecialToken?.id;
    const last = post.single.at(-1)?.SpecialToken?.id;
    if (first && last) return [first, last];
  }
  return ["[CLS]", "[SEP]"];
}

type TokenizerJson = {
  model?: {
    type?: string;
    vocab?: Record<string, number> | null;
    unk_token?: string;
    continuing_subword_prefix?: string;
    max_input_chars_per_word?: number;
  };
  added_tokens?: { id: number; content: string; special?: boolean }[];
  normalizer?: {
    type: string;
    lowercase?: boolean;
    strip_accents?: boolean | null;
    handle_chinese_chars?: boolean;
    clean_text?: boolean;
  } | null;
  pre_tokenizer?: { type: string } | null;
  post_processor?: {
    type: string;
    cls?: [string, number];
    sep?: [string, number];
    single?: { SpecialToken?: { id: string } }[];
  } | null;
  truncation?: { max_length?: number } | null;
  padding?: { pad_token?: string } | null;
};

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
