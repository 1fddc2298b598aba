import { formatUnits } from "viem";

/** `1234.5 NSG` with at most two decimals. */
export function formatTokens(amount: bigint, symbol = "NSG"): string {
  const [whole = "0", fraction = ""] = formatUnits(amount, 18).split(".");
  const cents = fraction.slice(0, 2).replace(/0+$/, "");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${grouped}${cents ? `.${cents}` : ""} ${symbol}`;
}

export function shortAddress(address: string): string {
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}

export function shortHex(hex: string, keep = 10): string {
  return hex.length <= keep * 2 + 1 ? hex : `${hex.slice(0, keep)}…${hex.slice(-6)}`;
}

/** `2 d 3 h`, `4 min 5 s`, `12 s`: the two largest units. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const units: [string, number][] = [["d", 86_400], ["h", 3_600], ["min", 60], ["s", 1]];
  const parts: string[] = [];
  let rest = s;
  for (const [name, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0 || (parts.length === 0 && size === 1)) parts.push(`${n} ${name}`);
    rest -= n * size;
    if (parts.length === 2) break;
  }
  return parts.join(" ");
}

export function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = size / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** A chain timestamp (seconds) as a local date and time. */
export function formatTimestamp(seconds: bigint | number): string {
  return new Date(Number(seconds) * 1000).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** 0.0423 -> `4.2 %` */
export function formatPercent(part: bigint, whole: bigint): string {
  if (whole === 0n) return "0 %";
  return `${(Number((part * 10_000n) / whole) / 100).toFixed(1)} %`;
}
