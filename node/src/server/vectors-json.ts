/**
 * The JSON text of embedding vectors, written directly: JSON.stringify of an Array.from copy of
 * each vector costs 3-4 times more (about 110 vs 30 us for 32 vectors of 32 floats here), a share
 * of an /embed request comparable to the engine's own time. The text is exactly what
 * JSON.stringify gives: a float prints the same either way (ECMAScript's Number-to-String), and a
 * vector holding NaN or Infinity (null in JSON) goes through JSON.stringify itself.
 */

/** `[x,y,...]`, as JSON.stringify(Array.from(vector)) writes it. */
export function vectorJson(vector: Float32Array): string {
  for (let i = 0; i < vector.length; i++) {
    if (!Number.isFinite(vector[i])) return JSON.stringify(Array.from(vector));
  }
  return `[${vector.join(",")}]`;
}

/** `[[...],[...]]`, as JSON.stringify(vectors.map((v) => Array.from(v))) writes it. */
export function vectorsJson(vectors: readonly Float32Array[]): string {
  return `[${vectors.map(vectorJson).join(",")}]`;
}
