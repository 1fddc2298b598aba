/**
 * Which network addresses a manifest source may reach. A vote makes every node fetch a manifest's
 * sources, so a source naming 127.0.0.1, the LAN, or a cloud metadata service would turn every
 * node into a probe of its own network. Sources must reach public addresses unless the operator
 * allows more (NS_LLM_ALLOW_PRIVATE_SOURCES); a dev chain allows loopback (its mirrors and IPFS
 * run on the contributor's own machine). The check runs on literal addresses at validation and
 * on every resolved address when fetching (store/http-fetcher.ts pins the connection to it).
 */
import { BlockList, isIP } from "node:net";

/** What an address is, for the policy. */
export type AddressClass = "public" | "loopback" | "private" | "cgnat" | "link-local" | "metadata" | "unspecified" | "reserved";

/** none: public only; loopback: also 127/8 and ::1; private: also LAN, CGNAT and link-local. Metadata never. */
export type PrivateSourcesAllowed = "none" | "loopback" | "private";

export type SourcePolicy = {
  /** What is allowed now (a dev chain may widen it once the node knows its chain). */
  allowed(): PrivateSourcesAllowed;
  /** Whether http:// (not TLS) sources are fetched: with NS_LLM_ALLOW_HTTP_SOURCES, or whenever private sources are allowed. */
  allowsHttp(): boolean;
};

export type CreateSourcePolicyParameters = {
  /** NS_LLM_ALLOW_PRIVATE_SOURCES as given; undefined = decided by `devChain`. */
  allowPrivate?: PrivateSourcesAllowed;
  /** NS_LLM_ALLOW_HTTP_SOURCES. */
  allowHttp?: boolean;
  /** True once the node knows it follows a dev chain (loopback then allowed by default). */
  devChain?: () => boolean;
};

export function createSourcePolicy(p: CreateSourcePolicyParameters = {}): SourcePolicy {
  const allowed = (): PrivateSourcesAllowed => p.allowPrivate ?? (p.devChain?.() ? "loopback" : "none");
  return { allowed, allowsHttp: () => p.allowHttp === true || allowed() !== "none" };
}

/** Everything allowed but metadata: for tools and tests that fetch from their own machine. */
export const LOOPBACK_SOURCES: SourcePolicy = createSourcePolicy({ allowPrivate: "loopback" });
export const PUBLIC_SOURCES_ONLY: SourcePolicy = createSourcePolicy({ allowPrivate: "none" });

/** Parses NS_LLM_ALLOW_PRIVATE_SOURCES: 0/none, loopback, 1/private. */
export function parsePrivateSourcesAllowed(value: string | undefined): PrivateSourcesAllowed | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const v = value.trim().toLowerCase();
  if (v === "0" || v === "false" || v === "none") return "none";
  if (v === "loopback") return "loopback";
  if (v === "1" || v === "true" || v === "private") return "private";
  throw new Error(`NS_LLM_ALLOW_PRIVATE_SOURCES must be 0, loopback or 1 (got ${JSON.stringify(value)})`);
}

const ranges = (list: Array<[string, number, "ipv4" | "ipv6"]>) => {
  const b = new BlockList();
  for (const [net, prefix, family] of list) b.addSubnet(net, prefix, family);
  return b;
};

// Cloud metadata services (AWS/GCP/Azure/OpenStack 169.254.169.254, ECS 169.254.170.2, Alibaba
// 100.100.100.200, AWS IPv6 fd00:ec2::254): refused whatever the operator allows.
const METADATA = ranges([
  ["169.254.169.254", 32, "ipv4"],
  ["169.254.170.2", 32, "ipv4"],
  ["100.100.100.200", 32, "ipv4"],
  ["fd00:ec2::254", 128, "ipv6"],
]);
const CLASSES: Array<[Exclude<AddressClass, "public" | "metadata">, BlockList]> = [
  ["unspecified", ranges([["0.0.0.0", 8, "ipv4"], ["::", 128, "ipv6"]])],
  ["loopback", ranges([["127.0.0.0", 8, "ipv4"], ["::1", 128, "ipv6"]])],
  ["private", ranges([["10.0.0.0", 8, "ipv4"], ["172.16.0.0", 12, "ipv4"], ["192.168.0.0", 16, "ipv4"], ["fc00::", 7, "ipv6"]])],
  ["cgnat", ranges([["100.64.0.0", 10, "ipv4"]])],
  ["link-local", ranges([["169.254.0.0", 16, "ipv4"], ["fe80::", 10, "ipv6"]])],
  [
    "reserved",
    ranges([
      ["192.0.0.0", 24, "ipv4"],
      ["192.0.2.0", 24, "ipv4"],
      ["198.18.0.0", 15, "ipv4"],
      ["198.51.100.0", 24, "ipv4"],
      ["203.0.113.0", 24, "ipv4"],
      ["224.0.0.0", 4, "ipv4"],
      ["240.0.0.0", 4, "ipv4"],
      ["ff00::", 8, "ipv6"],
      ["2001:db8::", 32, "ipv6"],
      ["100::", 64, "ipv6"],
    ]),
  ],
];

/** The class of an IP address (v4 or v6, brackets allowed). Anything that is not an IP is "reserved". */
export function classifyAddress(address: string): AddressClass {
  let ip = address.replace(/^\[|\]$/g, "");
  const embedded = embeddedIpv4(ip);
  if (embedded) ip = embedded;
  const family = isIP(ip);
  if (family === 0) return "reserved";
  const type = family === 4 ? "ipv4" : "ipv6";
  if (METADATA.check(ip, type)) return "metadata";
  for (const [cls, list] of CLASSES) if (list.check(ip, type)) return cls;
  return "public";
}

/**
 * The IPv4 address inside an IPv6 one that carries it (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96,
 * 6to4 2002::/16): judged as that IPv4 address, or it would be a way around the check.
 */
function embeddedIpv4(ip: string): string | undefined {
  if (isIP(ip) !== 6) return undefined;
  const lower = ip.toLowerCase();
  const dotted = /^(?:::ffff:|::ffff:0:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const groups = expandIpv6(lower);
  if (!groups) return undefined;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return v4(groups[6]!, groups[7]!);
  if (groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0)) return v4(groups[6]!, groups[7]!);
  if (groups[0] === 0x2002) return v4(groups[1]!, groups[2]!);
  return undefined;
}

function expandIpv6(ip: string): number[] | undefined {
  if (ip.includes(".")) return undefined;
  const [head, tail] = ip.split("::");
  const h = head ? head.split(":") : [];
  const t = tail !== undefined ? (tail ? tail.split(":") : []) : [];
  const missing = 8 - h.length - t.length;
  if (tail === undefined && h.length !== 8) return undefined;
  const all = [...h, ...Array(tail === undefined ? 0 : missing).fill("0"), ...t];
  return all.length === 8 ? all.map((g) => parseInt(g, 16)) : undefined;
}

/** Why `address` may not be reached under `policy`, or undefined when it may. */
export function addressRefusal(address: string, policy: SourcePolicy): string | undefined {
  const cls = classifyAddress(address);
  const allowed = policy.allowed();
  if (cls === "public") return undefined;
  if (cls === "loopback" && allowed !== "none") return undefined;
  if ((cls === "private" || cls === "cgnat" || cls === "link-local") && allowed === "private") return undefined;
  const what: Record<Exclude<AddressClass, "public">, string> = {
    loopback: "a loopback address",
    private: "a private network address",
    cgnat: "a carrier-grade NAT address",
    "link-local": "a link-local address",
    metadata: "a cloud metadata address",
    unspecified: "an unspecified address",
    reserved: "a reserved or multicast address",
  };
  const hint =
    cls === "metadata" || cls === "unspecified" || cls === "reserved"
      ? "never allowed"
      : `allowed only with NS_LLM_ALLOW_PRIVATE_SOURCES=${cls === "loopback" ? "loopback" : "1"}`;
  return `${address} is ${what[cls]} (${hint})`;
}

/** The host of a URL as an IP literal, without brackets, or undefined for a name. */
export function literalAddress(url: URL): string | undefined {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return isIP(host) ? host : undefined;
}
