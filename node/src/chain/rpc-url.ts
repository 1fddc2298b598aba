/**
 * An RPC URL often carries a provider's key (in its path, query or user info): it is said to
 * people, in /health and in logs, as its scheme and host only.
 */

/** "https://eth-mainnet.example.com/v2/KEY?x=1" -> "https://eth-mainnet.example.com". */
export function redactRpcUrl(rpcUrl: string): string {
  try {
    const url = new URL(rpcUrl);
    return `${url.protocol}//${url.host}`;
  } catch {
    return "(the RPC URL)";
  }
}

/** `message` with every occurrence of the full URL replaced by its redacted form. */
export function scrubRpcUrl(message: string, rpcUrl: string): string {
  return rpcUrl ? message.split(rpcUrl).join(redactRpcUrl(rpcUrl)) : message;
}
