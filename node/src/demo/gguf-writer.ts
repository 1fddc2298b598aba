/**
 * A small GGUF v3 writer (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md), enough to
 * write the project's own tiny f32 models. Little endian throughout: magic, version (u32),
 * tensor count and KV count (u64); strings are a u64 byte length and UTF-8 bytes; tensor infos
 * list dims in ggml order (fastest-varying first); the data section starts at the header padded
 * to `general.alignment` and every tensor starts on that alignment. The output depends only on
 * the input, so the same model is the same bytes on every machine.
 */

/** GGUF's value type ids. */
const valueTypeIds = {
  uint8: 0,
  int8: 1,
  uint16: 2,
  int16: 3,
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
  uint64: 10,
  int64: 11,
  float64: 12,
} as const;

export type GgufNumberType = "uint8" | "int8" | "uint16" | "int16" | "uint32" | "int32" | "float32" | "float64";
export type GgufBigIntType = "uint64" | "int64";
export type GgufScalarType = GgufNumberType | GgufBigIntType | "bool" | "string";

/** A typed metadata value: GGUF needs the exact type, which a JS number does not carry. */
export type GgufValue =
  | { type: GgufNumberType; value: number }
  | { type: GgufBigIntType; value: bigint }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "array"; itemType: GgufNumberType; values: readonly number[] }
  | { type: "array"; itemType: GgufBigIntType; values: readonly bigint[] }
  | { type: "array"; itemType: "bool"; values: readonly boolean[] }
  | { type: "array"; itemType: "string"; values: readonly string[] };

/**
 * One tensor: f32 values, or bytes already in a quantized ggml type (Q4_0 or Q8_0: blocks of 32
 * values along `dims[0]`), which is how a real-size model is written without holding its f32 values.
 */
export type GgufTensor =
  | {
      name: string;
      /** Dimensions in ggml order: `dims[0]` varies fastest (for a weight `y = W x`: `[in, out]`). */
      dims: readonly number[];
      data: Float32Array;
    }
  | { name: string; dims: readonly number[]; type: GgufQuantizedType; bytes: Uint8Array };

/** Quantized ggml types the writer accepts as bytes, with their id and block layout. */
export const ggufQuantizedTypes = {
  q4_0: { id: 2, blockValues: 32, blockBytes: 18 }, // f16 scale, 16 bytes of 4-bit values
  q8_0: { id: 8, blockValues: 32, blockBytes: 34 }, // f16 scale, 32 int8 values
} as const;
export type GgufQuantizedType = keyof typeof ggufQuantizedTypes;

const byteLengthOf = (tensor: GgufTensor): number => ("bytes" in tensor ? tensor.bytes.byteLength : tensor.data.byteLength);

export type EncodeGgufParameters = {
  /** Written in this order. `general.alignment` is added (32) unless given. */
  metadata: ReadonlyArray<readonly [key: string, value: GgufValue]>;
  tensors: readonly GgufTensor[];
};

const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
const GGUF_VERSION = 3;
const GGML_TYPE_F32 = 0;
const DEFAULT_ALIGNMENT = 32;

/** Shorthands for typed values. */
export const gguf = {
  u32: (value: number): GgufValue => ({ type: "uint32", value }),
  i32: (value: number): GgufValue => ({ type: "int32", value }),
  f32: (value: number): GgufValue => ({ type: "float32", value }),
  bool: (value: boolean): GgufValue => ({ type: "bool", value }),
  str: (value: string): GgufValue => ({ type: "string", value }),
  strings: (values: readonly string[]): GgufValue => ({ type: "array", itemType: "string", values }),
  f32s: (values: readonly number[]): GgufValue => ({ type: "array", itemType: "float32", values }),
  i32s: (values: readonly number[]): GgufValue => ({ type: "array", itemType: "int32", values }),
};

/** Encodes a whole GGUF file in memory (the models written here are small). */
export function encodeGguf({ metadata, tensors }: EncodeGgufParameters): Uint8Array {
  const alignmentEntry = metadata.find(([key]) => key === "general.alignment");
  const entries = alignmentEntry ? metadata : [...metadata, ["general.alignment", gguf.u32(DEFAULT_ALIGNMENT)] as const];
  const alignment = alignmentEntry?.[1].type === "uint32" ? alignmentEntry[1].value : alignmentEntry ? NaN : DEFAULT_ALIGNMENT;
  if (!Number.isInteger(alignment) || alignment <= 0 || alignment % 8 !== 0) {
    throw new RangeError("general.alignment must be a uint32, a positive multiple of 8");
  }
  checkTensors(tensors);

  const out = new ByteWriter();
  out.u32(GGUF_MAGIC);
  out.u32(GGUF_VERSION);
  out.u64(BigInt(tensors.length));
  out.u64(BigInt(entries.length));
  for (const [key, value] of entries) {
    out.string(key);
    writeValue(out, value);
  }

  // Tensor offsets are relative to the start of the data section, each aligned.
  let offset = 0;
  const offsets: number[] = [];
  for (const tensor of tensors) {
    offsets.push(offset);
    offset = alignUp(offset + byteLengthOf(tensor), alignment);
  }
  tensors.forEach((tensor, i) => {
    out.string(tensor.name);
    out.u32(tensor.dims.length);
    for (const dim of tensor.dims) out.u64(BigInt(dim));
    out.u32("bytes" in tensor ? ggufQuantizedTypes[tensor.type].id : GGML_TYPE_F32);
    out.u64(BigInt(offsets[i]!));
  });

  out.padTo(alignment);
  const dataSectionStart = out.length;
  tensors.forEach((tensor, i) => {
    out.padTo(alignment);
    if (out.length !== dataSectionStart + offsets[i]!) throw new Error(`tensor ${tensor.name} is misplaced`);
    if ("bytes" in tensor) out.raw(tensor.bytes);
    else out.f32s(tensor.data);
  });
  out.padTo(alignment);
  return out.bytes();
}

function checkTensors(tensors: readonly GgufTensor[]): void {
  const names = new Set<string>();
  for (const tensor of tensors) {
    const { name, dims } = tensor;
    if (names.has(name)) throw new Error(`duplicate tensor name ${name}`);
    names.add(name);
    if (dims.length < 1 || dims.length > 4 || dims.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new RangeError(`tensor ${name}: dims must be 1 to 4 positive integers, got [${dims.join(", ")}]`);
    }
    const elements = dims.reduce((a, b) => a * b, 1);
    if ("bytes" in tensor) {
      const layout = ggufQuantizedTypes[tensor.type];
      if (dims[0]! % layout.blockValues !== 0 || tensor.bytes.byteLength !== (elements / layout.blockValues) * layout.blockBytes) {
        throw new RangeError(`tensor ${name}: ${tensor.type} dims [${dims.join(", ")}] need dims[0] a multiple of ${layout.blockValues} and ${(elements / layout.blockValues) * layout.blockBytes} bytes, got ${tensor.bytes.byteLength}`);
      }
    } else if (elements !== tensor.data.length) {
      throw new RangeError(`tensor ${name}: dims [${dims.join(", ")}] hold ${elements} values, data has ${tensor.data.length}`);
    }
  }
}

function writeValue(out: ByteWriter, value: GgufValue): void {
  out.u32(valueTypeIds[value.type]);
  if (value.type === "array") {
    out.u32(valueTypeIds[value.itemType]);
    out.u64(BigInt(value.values.length));
    for (const item of value.values) writeScalar(out, value.itemType, item);
  } else {
    writeScalar(out, value.type, value.value);
  }
}

function writeScalar(out: ByteWriter, type: GgufScalarType, value: number | bigint | boolean | string): void {
  switch (type) {
    case "uint8": return out.number("setUint8", 1, value as number);
    case "int8": return out.number("setInt8", 1, value as number);
    case "uint16": return out.number("setUint16", 2, value as number);
    case "int16": return out.number("setInt16", 2, value as number);
    case "uint32": return out.number("setUint32", 4, value as number);
    case "int32": return out.number("setInt32", 4, value as number);
    case "float32": return out.number("setFloat32", 4, value as number);
    case "float64": return out.number("setFloat64", 8, value as number);
    case "uint64": return out.u64(value as bigint);
    case "int64": return out.i64(value as bigint);
    case "bool": return out.number("setUint8", 1, value ? 1 : 0);
    case "string": return out.string(value as string);
  }
}

function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

type NumberSetter = "setUint8" | "setInt8" | "setUint16" | "setInt16" | "setUint32" | "setInt32" | "setFloat32" | "setFloat64";

/** A growable little-endian byte buffer. */
class ByteWriter {
  #buffer = new Uint8Array(1 << 16);
  #view = new DataView(this.#buffer.buffer);
  #length = 0;

  get length(): number {
    return this.#length;
  }

  number(setter: NumberSetter, size: number, value: number): void {
    this.#reserve(size);
    this.#view[setter](this.#length, value, true);
    this.#length += size;
  }

  u32(value: number): void {
    this.number("setUint32", 4, value);
  }

  u64(value: bigint): void {
    this.#reserve(8);
    this.#view.setBigUint64(this.#length, value, true);
    this.#length += 8;
  }

  i64(value: bigint): void {
    this.#reserve(8);
    this.#view.setBigInt64(this.#length, value, true);
    this.#length += 8;
  }

  string(value: string): void {
    const bytes = new TextEncoder().encode(value);
    this.u64(BigInt(bytes.length));
    this.#reserve(bytes.length);
    this.#buffer.set(bytes, this.#length);
    this.#length += bytes.length;
  }

  f32s(values: Float32Array): void {
    this.#reserve(values.length * 4);
    for (let i = 0; i < values.length; i++) this.#view.setFloat32(this.#length + i * 4, values[i]!, true);
    this.#length += values.length * 4;
  }

  raw(bytes: Uint8Array): void {
    this.#reserve(bytes.byteLength);
    this.#buffer.set(bytes, this.#length);
    this.#length += bytes.byteLength;
  }

  padTo(alignment: number): void {
    const padded = alignUp(this.#length, alignment);
    this.#reserve(padded - this.#length);
    this.#buffer.fill(0, this.#length, padded);
    this.#length = padded;
  }

  bytes(): Uint8Array {
    return this.#buffer.slice(0, this.#length);
  }

  #reserve(size: number): void {
    if (this.#length + size <= this.#buffer.length) return;
    let capacity = this.#buffer.length;
    while (capacity < this.#length + size) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = next;
    this.#view = new DataView(next.buffer);
  }
}
