/**
 * The demo encoder's WordPiece vocabulary: BERT's special tokens first (so [PAD] is 0), then
 * punctuation, digits and letters (so every ASCII text tokenizes without [UNK]), `##` pieces for
 * word endings, and a few hundred common English words. Small, but real WordPiece behaviour:
 * "learning" -> "learn ##ing", "models" -> "model ##s", "xyzzy" -> letters and `##` letters.
 */

const specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

const punctuation = [..."!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"];
const digits = [..."0123456789"];
const letters = [..."abcdefghijklmnopqrstuvwxyz"];

const suffixes = [
  "s", "es", "ed", "d", "ing", "ly", "er", "ers", "est", "ion", "tion", "ation", "ness", "ment",
  "able", "ible", "ful", "less", "ity", "al", "ial", "ize", "ise", "ism", "ist", "y", "en", "ies",
  "ous", "ive", "ic", "ical", "ship", "hood", "ward", "wise", "like", "age", "ance", "ence", "ant",
  "ent", "ure", "ery", "or", "ors", "th", "ty", "teen", "ish", "let", "ling", "in", "on", "an",
  "at", "it", "is", "ar", "ate", "ated", "ating", "er", "re", "un", "ph", "ch", "sh", "ck", "ll",
  "ss", "tt", "nn", "pp", "rr",
];

const words = `
the of and to a in is it you that he was for on are with as i his they be at one have this from
or had by not word but what some we can out other were all there when up use your how said an
each she which do their time if will way about many then them write would like so these her long
make thing see him two has look more day could go come did number sound no most people my over
know water than call first who may down side been now find any new work part take get place made
live where after back little only round man year came show every good me give our under name very
through just form sentence great think say help low line differ turn cause much mean before move
right boy old too same tell does set three want air well also play small end put home read hand
port large spell add even land here must big high such follow act why ask men change went light
kind off need house picture try us again animal point mother world near build self earth father
head stand own page should country found answer school grow study still learn plant cover food
sun four between state keep eye never last let thought city tree cross farm hard start might
story saw far sea draw left late run while press close night real life few north open seem
together next white children begin got walk example ease paper group always music those both mark
often letter until mile river car feet care second book carry took science eat room friend began
idea fish mountain stop once base hear horse cut sure watch color face wood main enough plain
girl usual young ready above ever red list though feel talk bird soon body dog family direct
leave song measure door product black short class wind question happen complete ship area half
rock order fire south problem piece told knew pass since top whole king space heard best hour
better true during hundred five remember step early hold west ground interest reach fast sing
listen six table travel less morning ten simple several toward war lay against pattern slow
center love person money serve appear road map rain rule pull cold notice voice unit power town
fine certain fly fall lead cry dark machine note wait plan figure star box field rest correct
able done drive stood contain front teach week final gave green oh quick develop ocean warm free
minute strong special mind behind clear tail produce fact street inch nothing course stay wheel
full force blue object decide surface deep moon island foot system busy test record boat common
gold possible plane dry wonder laugh thousand ago ran check game shape hot miss brought heat snow
bring yes distant fill east paint language among
hello hi world cat sat mat quick brown fox jump over lazy model token vote chain network node
data text search cafe resume computer neural embed embedding vector query answer weather today
sunny rainy happy sad news sport football price market bank coffee tea apple banana
`
  .split(/\s+/)
  .filter(Boolean);

/** The vocabulary in id order (line n of vocab.txt has id n). Duplicates keep their first place. */
export const demoVocab: readonly string[] = [
  ...new Set([
    ...specials,
    ...punctuation,
    ...digits,
    ...letters,
    ...digits.map((d) => `##${d}`),
    ...letters.map((l) => `##${l}`),
    ...suffixes.map((s) => `##${s}`),
    ...words,
  ]),
];
