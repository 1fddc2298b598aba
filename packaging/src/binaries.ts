/**
 * Which machine each native binary in a folder is built for, read from its header (ELF e_machine,
 * Mach-O cputype, including universal binaries, PE machine): the check that a package holds its
 * own platform's binaries and no other's.
 */
import { open, readdir } from "node:fs/promises";
import path from "node:path";

export type BinaryKind = { format: "elf" | "macho" | "pe"; cpus: Array<"x64" | "arm64" | "arm" | "ia32" | "other"> };
export type FoundBinary = BinaryKind & { file: string };

const ELF_MACHINES: Record<number, "x64" | "arm64" | "arm" | "ia32"> = { 0x3e: "x64", 0xb7: "arm64", 0x28: "arm", 0x03: "ia32" };
const MACHO_CPUS: Record<number, "x64" | "arm64" | "arm" | "ia32"> = { 0x01000007: "x64", 0x0100000c: "arm64", 12: "arm", 7: "ia32" };
const PE_MACHINES: Record<number, "x64" | "arm64" | "arm" | "ia32"> = { 0x8664: "x64", 0xaa64: "arm64", 0x1c4: "arm", 0x14c: "ia32" };

/** The kind of binary `file` is, or undefined for anything else. */
export async function binaryKind(file: string): Promise<BinaryKind | undefined> {
  const handle = await open(file, "r");
  try {
    const head = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const b = head.subarray(0, bytesRead);
    if (b.length < 64) return undefined;
    if (b.readUInt32BE(0) === 0x7f454c46) return { format: "elf", cpus: [ELF_MACHINES[b.readUInt16LE(18)] ?? "other"] };
    if (b.readUInt32LE(0) === 0xfeedfacf || b.readUInt32LE(0) === 0xfeedface) return { format: "macho", cpus: [MACHO_CPUS[b.readUInt32LE(4)] ?? "other"] };
    if (b.readUInt32BE(0) === 0xcafebabe && b.readUInt32BE(4) < 20) {
      const count = b.readUInt32BE(4);
      const cpus = Array.from({ length: count }, (_, i) => MACHO_CPUS[b.readUInt32BE(8 + i * 20)] ?? "other");
      return { format: "macho", cpus };
    }
    if (b.toString("latin1", 0, 2) === "MZ") {
      const pe = b.readUInt32LE(0x3c);
      if (pe + 6 <= b.length && b.toString("latin1", pe, pe + 4) === "PE\0\0") return { format: "pe", cpus: [PE_MACHINES[b.readUInt16LE(pe + 4)] ?? "other"] };
    }
    return undefined;
  } finally {
    await handle.close();
  }
}

/** Every native binary under `dir`. */
export async function findBinaries(dir: string): Promise<FoundBinary[]> {
  const found: FoundBinary[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const kind = await binaryKind(file);
    if (kind) found.push({ file, ...kind });
  }
  return found;
}
