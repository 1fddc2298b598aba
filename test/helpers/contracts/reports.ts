/**
 * What the NodeReports tests share: the verdict numbers of `NodeReports.Verdict` and made-up but
 * well-formed reports (a CID-shaped string and the sha256 of a small JSON document).
 *
 * It lives outside test/contracts so that the test runner does not load it as a test file.
 */
import { keccak256, sha256, toHex, type Hex } from "viem";

/** `NodeReports.Verdict`, as the ABI carries it (a uint8). */
export const Verdict = { None: 0, Passed: 1, Failed: 2, Refused: 3 } as const;

/** A report's CID (59 characters, like a CIDv1 in base32) and the sha256 of its JSON, distinct per `label`. */
export function fakeReport(label: string): { cid: string; digest: Hex } {
  const json = JSON.stringify({ schema: "ns-llm.report/v1", label });
  return { cid: `bafkrei${keccak256(toHex(`report:${label}`)).slice(2, 54)}`, digest: sha256(toHex(json)) };
}
