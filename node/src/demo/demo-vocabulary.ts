/**
 * The demo model's SentencePiece-style vocabulary (llama.cpp's "llama" tokenizer): `<unk>`, `<s>`,
 * `</s>`, the 256 `<0xXX>` byte tokens (llama.cpp aborts without them: they are the fallback for
 * any byte no piece covers), single characters, the Zephyr chat markers ("<|user|>"...), and
 * common English words with "▁" (a word start). Every prefix of a marker or word is a piece too,
 * because SentencePiece builds a piece by merging pairs and each intermediate merge must be a
 * piece. The markers are ordinary text, as in TinyLlama's tokenizer (not special tokens, which
 * llama.cpp would follow with an extra space).
 */

/** llama.cpp's token types. */
export const tokenType = { normal: 1, unknown: 2, control: 3, byte: 6 } as const;

export type DemoVocabulary = {
  tokens: string[];
  scores: number[];
  types: number[];
  /** Token ids of whole words ("▁the"): the pieces the demo model prefers to write. */
  wordIds: Set<number>;
  /** Token ids of the chat markers and their prefixes: pieces the demo model never writes. */
  markerIds: Set<number>;
  unkId: number;
  bosId: number;
  eosId: number;
};

/** The markers of the TinyLlama/Zephyr chat template. */
export const chatMarkers = ["<|system|>", "<|user|>", "<|assistant|>"] as const;

const characters =
  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?;:'\"-()/&%$#@*+=<>[]{}|_~`^\\";

const words = `
the of and to a in is it you that he was for on are with as I his they be at one have this from
or had by hot word but what some we can out other were all there when up use your how said an each
she which do their time if will way about many then them write would like so these her long make
thing see him two has look more day could go come did number sound no most people my over know
water than call first who may down side been now find any new work part take get place made live
where after back little only round man year came show every good me give our under name very
through just form sentence great think say help low line differ turn cause much mean before move
right boy old too same tell does set three want air well also play small end put home read hand
port large spell add even land here must big high such follow act why ask men change went light
kind off need house picture try us again animal point mother world near build self earth father
head stand own page should country found answer school grow study still learn plant cover food
sun four between state keep eye never last let thought city tree cross farm hard start might story
saw far sea draw left late run while press close night real life few north open seem together next
white children begin got walk example ease paper group always music those both mark often letter
until mile river car feet care second book carry took science eat room friend began idea fish
mountain stop once base hear horse cut sure watch color face wood main enough plain girl usual
young ready above ever red list though feel talk bird soon body dog family direct pose leave song
measure door product black short numeral class wind question happen complete ship area half rock
order fire south problem piece told knew pass since top whole king space heard best hour better
true during hundred five remember step early hold west ground interest reach fast verb sing listen
six table travel less morning ten simple several vowel toward war lay against pattern slow center
love person money serve appear road map rain rule govern pull cold notice voice unit power town
fine certain fly fall lead cry dark machine note wait plan figure star box noun field rest able
pound done beauty drive stood contain front teach week final gave green oh quick develop ocean
warm free minute strong special mind behind clear tail produce fact street inch multiply nothing
course stay wheel full force blue object decide surface deep moon island foot system busy test
record boat common gold possible plane stead dry wonder laugh thousand ago ran check game shape
yes hello model chain vote node token answer question
`
  .split(/\s+/)
  .filter(Boolean);

/** Word endings, so that plurals and tenses of the words above tokenize into few pieces. */
const suffixes = ["s", "es", "ed", "ing", "ly", "er", "est", "'s", "n't"];

/** Builds the vocabulary; the same list every time (no randomness involved). */
export function buildDemoVocabulary(): DemoVocabulary {
  const tokens: string[] = [];
  const scores: number[] = [];
  const types: number[] = [];
  const index = new Map<string, number>();
  const add = (token: string, type: number, score: number): number => {
    const existing = index.get(token);
    if (existing !== undefined) return existing;
    index.set(token, tokens.length);
    tokens.push(token);
    scores.push(score);
    types.push(type);
    return tokens.length - 1;
  };

  const unkId = add("<unk>", tokenType.unknown, 0);
  const bosId = add("<s>", tokenType.control, 0);
  const eosId = add("</s>", tokenType.control, 0);
  for (let byte = 0; byte < 256; byte++) {
    add(`<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`, tokenType.byte, 0);
  }

  // SentencePiece merges the adjacent pair whose result has the highest score: pieces added
  // earlier score higher, as in a real vocabulary ordered by frequency.
  let rank = 0;
  const piece = (text: string): number => add(text, tokenType.normal, -rank++);
  piece("▁");
  for (const c of characters) piece(c);
  const markerIds = new Set<number>();
  for (const marker of chatMarkers) {
    for (let end = 2; end <= marker.length; end++) markerIds.add(piece(marker.slice(0, end)));
  }
  const wordIds = new Set<number>();
  for (const word of words) {
    const full = `▁${word}`;
    for (let end = 2; end <= full.length; end++) piece(full.slice(0, end));
    wordIds.add(index.get(full)!);
  }
  for (const suffix of suffixes) {
    for (let end = 1; end <= suffix.length; end++) piece(suffix.slice(0, end));
  }
  return { tokens, scores, types, wordIds, markerIds, unkId, bosId, eosId };
}
