/**
 * The governed roles: what a manifest can be adopted for in `ModelRegistry`, and their ids
 * (`keccak256(role)`, the registry's keys).
 */
import { keccak256, toHex, type Hex } from "viem";

/**
 * The roles `ModelRegistry` accepts an adoption for. A node applies the ones it knows (the
 * manifest schema's `role`); an adoption of another is seen and reported, never applied.
 */
export const ROLES = ["generation", "embedding", "parameters", "moderation", "vision", "evaluation", "release"] as const;
export type Role = (typeof ROLES)[number];

/** `keccak256(role)`, as `ModelRegistry` keys its history. */
export function roleId(role: Role): Hex {
  return keccak256(toHex(role));
}

/** The role whose id is `id`, or undefined for an id no node knows. */
export function roleFromId(id: Hex): Role | undefined {
  return ROLES.find((role) => roleId(role) === id.toLowerCase());
}
