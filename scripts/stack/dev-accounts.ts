import { mnemonicToAccount } from "viem/accounts";
import { bytesToHex, type Address, type Hex } from "viem";

/** Hardhat's public test mnemonic: every dev chain's accounts. Never fund these anywhere real. */
const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

export type DevAccount = { address: Address; privateKey: Hex };

/** The first `count` dev accounts with their (public, test-only) keys. */
export function devAccountsWithKeys(count = 5): DevAccount[] {
  return Array.from({ length: count }, (_, addressIndex) => {
    const account = mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex });
    return { address: account.address, privateKey: bytesToHex(account.getHdKey().privateKey!) };
  });
}
