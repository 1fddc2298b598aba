// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {IGovernor} from "@openzeppelin/contracts/governance/IGovernor.sol";
import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";
import {ModelRegistry} from "./ModelRegistry.sol";

/**
 * @title NodeReports
 * @dev Where nodes publish what they found, so that contributors know before they vote and see
 * what failed after an adoption:
 *
 * - a *proposal report* is a node's dry-run of a proposal: it fetched the proposed manifest, ran
 *   the governed evaluation suite against it and published the results as JSON on IPFS;
 * - an *adoption report* is a node's outcome of an adopted manifest (a role's version in
 *   {ModelRegistry}): the canary completed the swap, rolled it back, or the node refused it.
 *
 * A report holds the CID of that JSON, the sha256 digest of its bytes (so a reader can check what
 * any IPFS gateway hands it) and a compact {Verdict}. The reporting node is the sender: its
 * operator account, the same that anchors its audit log in `AuditAnchor`.
 *
 * Anyone may report: the contract cannot tell a real node from a made-up one, so readers decide
 * whose reports they trust (for example operators that anchor their audit logs, or a list the
 * dApp's user keeps). Each subject's reporters are listed in storage ({proposalReportCount},
 * {proposalReportAt}, {proposalReports}) so a dApp reads them without an indexer, and a reader
 * that trusts a few nodes asks for theirs directly ({proposalReportOf}).
 *
 * A node keeps one report per subject. Reporting again replaces it (a dry-run refused because a
 * source was down may pass an hour later) and counts a revision; every revision is an event, so
 * the history stays readable from the logs while storage holds the latest.
 */
contract NodeReports {
    /**
     * @dev What a node concluded. `None` is never stored: it is what the views return for a node
     * that has not reported.
     *
     * - `Passed`: the dry-run met the evaluation suite; the canary completed the swap.
     * - `Failed`: the model ran and did worse than required (the canary rolled it back).
     * - `Refused`: the node would not run it (digest, schema, size, source policy, memory budget).
     */
    enum Verdict {
        None,
        Passed,
        Failed,
        Refused
    }

    /// @dev One node's latest report on one subject. `node`, `verdict`, `revision` and `reportedAt` share a slot.
    struct Report {
        address node;
        Verdict verdict;
        uint32 revision;
        uint48 reportedAt;
        bytes32 digest;
        string cid;
    }

    /// @dev The reports on one subject: who reported, in the order of their first report, and what.
    struct Reports {
        address[] nodes;
        mapping(address node => Report) byNode;
    }

    /// @dev The longest CID accepted, in bytes: a CIDv1 in base32 with a 512-bit hash is about 112.
    uint256 public constant MAX_CID_LENGTH = 128;

    /// @dev The governor whose proposals nodes report on.
    IGovernor public immutable governor;

    /// @dev The registry whose adoptions nodes report on.
    ModelRegistry public immutable registry;

    mapping(uint256 proposalId => Reports) private _proposalReports;
    mapping(bytes32 role => mapping(uint64 version => Reports)) private _adoptionReports;

    /**
     * @dev Emitted when `node` reports on proposal `proposalId`; `revision` is 1 for its first
     * report on it and counts up with each replacement.
     */
    event ProposalReported(
        uint256 indexed proposalId,
        address indexed node,
        uint32 revision,
        Verdict verdict,
        string cid,
        bytes32 digest
    );

    /**
     * @dev Emitted when `node` reports on version `version` of `role` in the registry; `revision`
     * is 1 for its first report on it and counts up with each replacement.
     */
    event AdoptionReported(
        bytes32 indexed role,
        uint64 indexed version,
        address indexed node,
        uint32 revision,
        Verdict verdict,
        string cid,
        bytes32 digest
    );

    /// @dev The governor has no proposal `proposalId`.
    error NodeReportsUnknownProposal(uint256 proposalId);

    /// @dev The registry has not adopted version `version` of `role` (versions start at 1).
    error NodeReportsUnknownAdoption(bytes32 role, uint64 version);

    /// @dev A report needs a verdict: `None` is only what the views return for no report.
    error NodeReportsMissingVerdict();

    /// @dev A report needs the CID of its JSON.
    error NodeReportsEmptyCid();

    /// @dev The CID is `length` bytes long, over {MAX_CID_LENGTH}.
    error NodeReportsCidTooLong(uint256 length);

    /// @dev A report needs the sha256 digest of its JSON.
    error NodeReportsEmptyDigest();

    /// @dev There are only `count` reports on the subject, so none at `index`.
    error NodeReportsIndexOutOfRange(uint256 index, uint256 count);

    constructor(IGovernor governor_, ModelRegistry registry_) {
        governor = governor_;
        registry = registry_;
    }

    /**
     * @dev Records the sender's report on proposal `proposalId`: the JSON at `cid` whose sha256
     * is `digest`, concluding `verdict`. Replaces the sender's previous report on it, if any.
     *
     * Emits a {ProposalReported} event.
     *
     * Requirements:
     * - the governor knows `proposalId`;
     * - `verdict` is not `None`;
     * - `cid` is 1 to {MAX_CID_LENGTH} bytes long and `digest` is not zero.
     */
    function reportProposal(uint256 proposalId, Verdict verdict, string calldata cid, bytes32 digest) external {
        if (governor.proposalSnapshot(proposalId) == 0) revert NodeReportsUnknownProposal(proposalId);
        uint32 revision = _record(_proposalReports[proposalId], verdict, cid, digest);
        emit ProposalReported(proposalId, msg.sender, revision, verdict, cid, digest);
    }

    /**
     * @dev Records the sender's report on version `version` of `role` in the registry: the JSON at
     * `cid` whose sha256 is `digest`, concluding `verdict`. Replaces the sender's previous report
     * on it, if any.
     *
     * Emits an {AdoptionReported} event.
     *
     * Requirements:
     * - the registry has adopted `version` of `role` (1 is the first);
     * - `verdict` is not `None`;
     * - `cid` is 1 to {MAX_CID_LENGTH} bytes long and `digest` is not zero.
     */
    function reportAdoption(bytes32 role, uint64 version, Verdict verdict, string calldata cid, bytes32 digest)
        external
    {
        if (version == 0 || version > registry.versionCount(role)) revert NodeReportsUnknownAdoption(role, version);
        uint32 revision = _record(_adoptionReports[role][version], verdict, cid, digest);
        emit AdoptionReported(role, version, msg.sender, revision, verdict, cid, digest);
    }

    /// @dev Returns how many nodes have reported on proposal `proposalId`.
    function proposalReportCount(uint256 proposalId) external view returns (uint256) {
        return _proposalReports[proposalId].nodes.length;
    }

    /**
     * @dev Returns the latest report of the `index`-th node to report on proposal `proposalId`
     * (nodes keep the position of their first report).
     *
     * Requirements:
     * - `index` is below {proposalReportCount}.
     */
    function proposalReportAt(uint256 proposalId, uint256 index) external view returns (Report memory) {
        return _at(_proposalReports[proposalId], index);
    }

    /**
     * @dev Returns `node`'s latest report on proposal `proposalId`; one with verdict `None` and
     * revision 0 when it has not reported.
     */
    function proposalReportOf(uint256 proposalId, address node) external view returns (Report memory) {
        return _proposalReports[proposalId].byNode[node];
    }

    /**
     * @dev Returns up to `limit` reports on proposal `proposalId`, from the `offset`-th node on,
     * in the order of {proposalReportAt}. Fewer (or none) past the end.
     */
    function proposalReports(uint256 proposalId, uint256 offset, uint256 limit)
        external
        view
        returns (Report[] memory)
    {
        return _page(_proposalReports[proposalId], offset, limit);
    }

    /// @dev Returns how many nodes have reported on version `version` of `role`.
    function adoptionReportCount(bytes32 role, uint64 version) external view returns (uint256) {
        return _adoptionReports[role][version].nodes.length;
    }

    /**
     * @dev Returns the latest report of the `index`-th node to report on version `version` of
     * `role` (nodes keep the position of their first report).
     *
     * Requirements:
     * - `index` is below {adoptionReportCount}.
     */
    function adoptionReportAt(bytes32 role, uint64 version, uint256 index) external view returns (Report memory) {
        return _at(_adoptionReports[role][version], index);
    }

    /**
     * @dev Returns `node`'s latest report on version `version` of `role`; one with verdict `None`
     * and revision 0 when it has not reported.
     */
    function adoptionReportOf(bytes32 role, uint64 version, address node) external view returns (Report memory) {
        return _adoptionReports[role][version].byNode[node];
    }

    /**
     * @dev Returns up to `limit` reports on version `version` of `role`, from the `offset`-th node
     * on, in the order of {adoptionReportAt}. Fewer (or none) past the end.
     */
    function adoptionReports(bytes32 role, uint64 version, uint256 offset, uint256 limit)
        external
        view
        returns (Report[] memory)
    {
        return _page(_adoptionReports[role][version], offset, limit);
    }

    /// @dev Checks a report and stores it as the sender's latest in `reports`; returns its revision.
    function _record(Reports storage reports, Verdict verdict, string calldata cid, bytes32 digest)
        private
        returns (uint32 revision)
    {
        if (verdict == Verdict.None) revert NodeReportsMissingVerdict();
        uint256 length = bytes(cid).length;
        if (length == 0) revert NodeReportsEmptyCid();
        if (length > MAX_CID_LENGTH) revert NodeReportsCidTooLong(length);
        if (digest == bytes32(0)) revert NodeReportsEmptyDigest();

        revision = reports.byNode[msg.sender].revision + 1;
        if (revision == 1) reports.nodes.push(msg.sender);
        reports.byNode[msg.sender] = Report({
            node: msg.sender,
            verdict: verdict,
            revision: revision,
            reportedAt: Time.timestamp(),
            digest: digest,
            cid: cid
        });
    }

    function _at(Reports storage reports, uint256 index) private view returns (Report memory) {
        uint256 count = reports.nodes.length;
        if (index >= count) revert NodeReportsIndexOutOfRange(index, count);
        return reports.byNode[reports.nodes[index]];
    }

    function _page(Reports storage reports, uint256 offset, uint256 limit) private view returns (Report[] memory page) {
        uint256 count = reports.nodes.length;
        uint256 size = offset >= count ? 0 : (limit < count - offset ? limit : count - offset);
        page = new Report[](size);
        for (uint256 i = 0; i < size; i++) {
            page[i] = reports.byNode[reports.nodes[offset + i]];
        }
    }
}
