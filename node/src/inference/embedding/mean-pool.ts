/**
 * Sentence vectors from token vectors, as sentence-transformers does for all-MiniLM-L6-v2: the
 * mean of the token vectors where the attention mask is 1, then L2-normalised.
 */

export type MeanPoolParameters = {
  /** `[batch, sequence, hidden]`, row-major. */
  hidden: Float32Array;
  batchSize: number;
  sequenceLength: number;
  dimensions: number;
  /** `[batch, sequence]`: 1 for a real token, 0 for padding. */
  attentionMask: BigInt64Array;
};

/** One unit vector per row (a row with no real token gives zeros, as the library does). */
export function meanPoolNormalize({ hidden, batchSize, sequenceLength, dimensions, attentionMask }: MeanPoolParameters): Float32Array[] {
  const vectors: Float32Array[] = [];
  const sum = new Float64Array(dimensions);
  for (let row = 0; row < batchSize; row++) {
    sum.fill(0);
    let count = 0;
    for (let t = 0; t < sequenceLength; t++) {
      if (attentionMask[row * sequenceLength + t] === 0n) continue;
      count++;
      const base = (row * sequenceLength + t) * dimensions;
      for (let d = 0; d < dimensions; d++) sum[d]! += hidden[base + d]!;
    }
    vectors.push(normalize(sum, Math.max(count, 1e-9)));
  }
  return vectors;
}

/** `[batch, dimensions]` already pooled by the model: only normalised. */
export function normalizeRows(pooled: Float32Array, batchSize: number, dimensions: number): Float32Array[] {
  const vectors: Float32Array[] = [];
  for (let row = 0; row < batchSize; row++) {
    vectors.push(normalize(Float64Array.from(pooled.subarray(row * dimensions, (row + 1) * dimensions)), 1));
  }
  return vectors;
}

/** (values / divisor) scaled to length 1; torch's F.normalize floor of 1e-12 on the norm. */
function normalize(values: Float64Array, divisor: number): Float32Array {
  let norm = 0;
  for (let d = 0; d < values.length; d++) {
    const v = values[d]! / divisor;
    values[d] = v;
    norm += v * v;
  }
  const scale = 1 / Math.max(Math.sqrt(norm), 1e-12);
  const out = new Float32Array(values.length);
  for (let d = 0; d < values.length; d++) out[d] = values[d]! * scale;
  return out;
}
