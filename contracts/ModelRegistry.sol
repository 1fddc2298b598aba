// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/**
 * @title ModelRegistry
 * @dev What the network runs: for each governed role (`keccak256("generation")`,
 * `keccak256("embedding")`, `keccak256("parameters")`, `keccak256("moderation")`,
 * `keccak256("vision")`, `keccak256("evaluation")`, `keccak256("release")`) the IPFS CID of the
 * adopted manifest and the sha256 digest of its bytes, so a node can verify what any IPFS gateway hands it. Owned by the timelock: only a passed
 * proposal adopts. Every adoption is kept, version by version (1, 2, ...), never overwritten.
 */
contract ModelRegistry is Ownable {
    /// @dev One adopted manifest.
    struct Adoption {
        string cid;
        bytes32 digest;
        uint64 adoptedAt;
    }

    bytes32 public constant GENERATION = keccak256("generation");
    bytes32 public constant EMBEDDING = keccak256("embedding");
    bytes32 public constant PARAMETERS = keccak256("parameters");
    /// @dev The answer classifier (toxicity) the validation layers use.
    bytes32 public constant MODERATION = keccak256("moderation");
    /// @dev The image encoder that shares the embedding model's vector space.
    bytes32 public constant VISION = keccak256("vision");
    /// @dev The suite proposals are dry-run against.
    bytes32 public constant EVALUATION = keccak256("evaluation");
    /// @dev The node software itself (signed release manifests).
    bytes32 public constant RELEASE = keccak256("release");

    mapping(bytes32 role => Adoption[]) private _history;

    /// @dev Emitted when `role` adopts the manifest `cid` whose bytes hash to `digest`.
    event ManifestAdopted(bytes32 indexed role, uint64 indexed version, string cid, bytes32 digest);

    /// @dev The role is not one of the governed roles.
    error ModelRegistryUnknownRole(bytes32 role);

    /// @dev An adoption needs a CID and a non-zero digest.
    error ModelRegistryEmptyManifest();

    /// @dev `version` was never adopted for `role` (versions start at 1).
    error ModelRegistryNoSuchVersion(bytes32 role, uint64 version);

    constructor(address initialOwner) Ownable(initialOwner) {}

    /**
     * @dev Adopts the manifest `cid` for `role`; its version is the role's previous one plus one.
     *
     * Emits a {ManifestAdopted} event.
     *
     * Requirements:
     * - the caller is the owner (the timelock);
     * - `role` is one of the governed roles (see {isRole});
     * - `cid` is not empty and `digest` is not zero.
     */
    function adopt(bytes32 role, string calldata cid, bytes32 digest) external onlyOwner {
        _adopt(role, cid, digest);
    }

    /**
     * @dev Returns the manifest `role` runs now: its version, CID, digest and the time it was
     * adopted. A role that never adopted anything returns version 0 and empty values.
     */
    function current(bytes32 role)
        external
        view
        returns (uint64 version, string memory cid, bytes32 digest, uint64 adoptedAt)
    {
        uint256 count = _history[role].length;
        if (count == 0) return (0, "", bytes32(0), 0);
        Adoption storage a = _history[role][count - 1];
        return (uint64(count), a.cid, a.digest, a.adoptedAt);
    }

    /// @dev Returns how many manifests `role` has adopted, which is also its current version.
    function versionCount(bytes32 role) external view returns (uint64) {
        return uint64(_history[role].length);
    }

    /**
     * @dev Returns adoption `version` of `role` (1 is the first).
     *
     * Requirements:
     * - `version` is between 1 and {versionCount}.
     */
    function adoptionOf(bytes32 role, uint64 version)
        external
        view
        returns (string memory cid, bytes32 digest, uint64 adoptedAt)
    {
        if (version == 0 || version > _history[role].length) revert ModelRegistryNoSuchVersion(role, version);
        Adoption storage a = _history[role][version - 1];
        return (a.cid, a.digest, a.adoptedAt);
    }

    /// @dev Returns true for the governed roles: generation, embedding, parameters, moderation, vision, evaluation, release.
    function isRole(bytes32 role) public pure returns (bool) {
        return
            role == GENERATION ||
            role == EMBEDDING ||
            role == PARAMETERS ||
            role == MODERATION ||
            role == VISION ||
            role == EVALUATION ||
            role == RELEASE;
    }

    function _adopt(bytes32 role, string calldata cid, bytes32 digest) internal {
        if (!isRole(role)) revert ModelRegistryUnknownRole(role);
        if (bytes(cid).length == 0 || digest == bytes32(0)) revert ModelRegistryEmptyManifest();
        _history[role].push(Adoption({cid: cid, digest: digest, adoptedAt: uint64(block.timestamp)}));
        emit ManifestAdopted(role, uint64(_history[role].length), cid, digest);
    }
}
