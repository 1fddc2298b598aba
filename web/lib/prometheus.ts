/**
 * The Prometheus text exposition format (version 0.0.4), parsed into flat samples, and the two
 * computations the dashboard needs over them: sums over label filters and histogram quantiles.
 *
 * Written here rather than taken from `parse-prometheus-text-format` because that package is
 * unmaintained, untyped and CommonJS, and the format is a few lines: `# HELP`/`# TYPE` comments,
 * then `name{label="value",...} value [timestamp]` per line, label values escaping `\\`, `\"`, `\n`.
 */

export type Labels = Readonly<Record<string, string>>;
export type Sample = { name: string; labels: Labels; value: number };
export type MetricType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

export type Scrape = {
  /** When the scrape was taken (ms since the epoch, the browser's clock). */
  time: number;
  samples: Sample[];
  types: ReadonlyMap<string, MetricType>;
};

export class PrometheusParseError extends Error {
  constructor(line: number, what: string) {
    super(`metrics line ${line}: ${what}`);
    this.name = "PrometheusParseError";
  }
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** Parses one scrape; throws a PrometheusParseError naming the line it cannot read. */
export function parsePrometheusText(text: string, time = Date.now()): Scrape {
  const samples: Sample[] = [];
  const types = new Map<string, MetricType>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    if (line.startsWith("#")) {
      const match = /^#\s+TYPE\s+(\S+)\s+(\S+)/.exec(line);
      if (match) types.set(match[1]!, match[2] as MetricType);
      continue;
    }
    samples.push(parseSample(line, i + 1));
  }
  return { time, samples, types };
}

function parseSample(line: string, lineNumber: number): Sample {
  const name = NAME.exec(line)?.[0];
  if (!name) throw new PrometheusParseError(lineNumber, `no metric name in "${line.slice(0, 60)}"`);
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith("{")) {
    rest = rest.slice(1);
    for (;;) {
      rest = rest.trimStart();
      if (rest.startsWith("}")) {
        rest = rest.slice(1);
        break;
      }
      const label = LABEL_NAME.exec(rest)?.[0];
      if (!label) throw new PrometheusParseError(lineNumber, "bad label name");
      rest = rest.slice(label.length).trimStart();
      if (!rest.startsWith('="')) throw new PrometheusParseError(lineNumber, `label ${label} has no quoted value`);
      rest = rest.slice(2);
      let value = "";
      let j = 0;
      for (; j < rest.length && rest[j] !== '"'; j++) {
        if (rest[j] === "\\") {
          const next = rest[++j];
          value += next === "n" ? "\n" : (next ?? "");
        } else value += rest[j];
      }
      if (j >= rest.length) throw new PrometheusParseError(lineNumber, `label ${label}'s value is not closed`);
      labels[label] = value;
      rest = rest.slice(j + 1).trimStart();
      if (rest.startsWith(",")) rest = rest.slice(1);
    }
  }
  const [valueText] = rest.trim().split(/\s+/);
  const value = parseValue(valueText ?? "");
  if (value === undefined) throw new PrometheusParseError(lineNumber, `bad value "${valueText}"`);
  return { name, labels, value };
}

/** A sample value: a float, or `NaN`, `+Inf`, `-Inf` (any case, as Go's ParseFloat reads them). */
function parseValue(text: string): number | undefined {
  const lower = text.toLowerCase();
  if (lower === "+inf" || lower === "inf") return Infinity;
  if (lower === "-inf") return -Infinity;
  if (lower === "nan") return NaN;
  const value = Number(text);
  return text !== "" && !Number.isNaN(value) ? value : undefined;
}

/** Which samples count: every label given must equal (string) or pass (function). */
export type LabelFilter = Record<string, string | ((value: string) => boolean)>;

function matches(labels: Labels, filter: LabelFilter | undefined): boolean {
  if (!filter) return true;
  for (const [key, want] of Object.entries(filter)) {
    const value = labels[key] ?? "";
    if (typeof want === "string" ? value !== want : !want(value)) return false;
  }
  return true;
}

/**
 * The sum of every sample named `name` whose labels pass `filter`; undefined when there is none.
 * A NaN sample (a gauge or summary with nothing to report yet) has no value: it is left out rather
 * than turning the whole sum into NaN.
 */
export function sumOf(scrape: Scrape, name: string, filter?: LabelFilter): number | undefined {
  let total: number | undefined;
  for (const s of scrape.samples) {
    if (s.name === name && !Number.isNaN(s.value) && matches(s.labels, filter)) total = (total ?? 0) + s.value;
  }
  return total;
}

/** A histogram's cumulative bucket counts by upper bound, summed over the series that pass `filter`. */
export type Buckets = Map<number, number>;

export function bucketsOf(scrape: Scrape, histogram: string, filter?: LabelFilter): Buckets {
  const buckets: Buckets = new Map();
  for (const s of scrape.samples) {
    if (s.name !== `${histogram}_bucket` || !matches(s.labels, filter)) continue;
    const le = parseValue(s.labels.le ?? "");
    if (le === undefined) continue;
    buckets.set(le, (buckets.get(le) ?? 0) + s.value);
  }
  return buckets;
}

/** `now - before` per bucket: the observations made between two scrapes (a counter reset gives now). */
export function bucketsDelta(now: Buckets, before: Buckets | undefined): Buckets {
  const delta: Buckets = new Map();
  for (const [le, count] of now) {
    const previous = before?.get(le) ?? 0;
    delta.set(le, count >= previous ? count - previous : count);
  }
  return delta;
}

/**
 * The q-quantile (0..1) of a histogram's cumulative buckets, as Prometheus' histogram_quantile
 * computes it: find the bucket holding rank q * count and interpolate linearly inside it (from 0
 * for the first bucket). A rank in the +Inf bucket gives the largest finite bound. Undefined with
 * no observations.
 */
export function histogramQuantile(q: number, buckets: Buckets): number | undefined {
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (sorted.length === 0 || total <= 0 || sorted.at(-1)![0] !== Infinity) return undefined;
  const rank = Math.min(Math.max(q, 0), 1) * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [bound, count] of sorted) {
    if (count >= rank && count > lowerCount) {
      if (bound === Infinity) return lowerBound;
      return lowerBound + ((bound - lowerBound) * (rank - lowerCount)) / (count - lowerCount);
    }
    lowerBound = bound;
    lowerCount = count;
  }
  return lowerBound;
}
