/**
 * Download progress for people: a one-line bar redrawn on a terminal (bytes, %, speed, ETA), or
 * plain lines at every quarter when stderr is a file or a pipe. Written to stderr so that stdout
 * keeps only the result.
 */

/** 1536 -> "1.5 KiB"; binary units, like `ls -h`. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** 75 -> "1:15", 3725 -> "1:02:05". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
  const s = Math.round(seconds);
  const [h, m, r] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const mm = h > 0 ? String(m).padStart(2, "0") : String(m);
  return `${h > 0 ? `${h}:` : ""}${mm}:${String(r).padStart(2, "0")}`;
}

export type ProgressLine = {
  /** `received` of `total` bytes; `offset` is where this attempt started (resumed bytes are not speed). */
  update(received: number): void;
  /** Ends the line with a message (the bar is replaced on a terminal). */
  finish(message: string): void;
  /** Prints a message above the bar without ending it. */
  note(message: string): void;
};

export type CreateProgressLineParameters = {
  label: string;
  total: number;
  offset: number;
  stream?: NodeJS.WriteStream;
  /** Redraws per second at most on a terminal. */
  fps?: number;
};

export function createProgressLine({ label, total, offset, stream = process.stderr, fps = 10 }: CreateProgressLineParameters): ProgressLine {
  const tty = stream.isTTY === true;
  const started = performance.now();
  let last = 0;
  let quarter = Math.floor((offset / Math.max(total, 1)) * 4);
  let received = offset;

  const line = (): string => {
    const fraction = total > 0 ? received / total : 1;
    const elapsed = (performance.now() - started) / 1000;
    const speed = elapsed > 0 ? (received - offset) / elapsed : 0;
    const eta = speed > 0 ? (total - received) / speed : Number.NaN;
    const width = 24;
    const filled = Math.round(fraction * width);
    return [
      label,
      `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`,
      `${String(Math.floor(fraction * 100)).padStart(3)}%`,
      `${formatBytes(received)}/${formatBytes(total)}`,
      `${formatBytes(speed)}/s`,
      `ETA ${formatDuration(eta)}`,
    ].join("  ");
  };
  const draw = () => stream.write(`\r\x1b[2K${line()}`);
  const clear = () => tty && stream.write("\r\x1b[2K");

  return {
    update(value) {
      received = value;
      if (tty) {
        const now = performance.now();
        if (now - last >= 1000 / fps) {
          last = now;
          draw();
        }
      } else {
        const q = Math.floor((received / Math.max(total, 1)) * 4);
        if (q > quarter && q < 4) {
          quarter = q;
          stream.write(`${label}: ${q * 25}% (${formatBytes(received)} of ${formatBytes(total)})\n`);
        }
      }
    },
    finish(message) {
      clear();
      stream.write(`${message}\n`);
    },
    note(message) {
      clear();
      stream.write(`${message}\n`);
      if (tty) draw();
    },
  };
}
