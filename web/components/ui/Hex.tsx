"use client";
import { shortHex } from "@/lib/format.ts";

/** A long hex string or CID, shortened, whole on hover and in the copy. */
export function Hex({ value, full = false, testId }: { value: string; full?: boolean; testId?: string }) {
  return (
    <code title={value} data-testid={testId} data-value={value}>
      {full ? value : shortHex(value)}
    </code>
  );
}
