// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {NSToken} from "../../contracts/governance/NSToken.sol";
import {NSTimelock} from "../../contracts/governance/NSTimelock.sol";
import {NSGovernor} from "../../contracts/governance/NSGovernor.sol";
import {ModelRegistry} from "../../contracts/ModelRegistry.sol";
import {NodeReports} from "../../contracts/NodeReports.sol";
import {Vm} from "./Vm.sol";

/// @dev Fuzzed properties of NodeReports against a real governor and registry: any number of nodes
/// each keep one report per subject, in the order they first reported; replacements count up and
/// keep the place; pages agree with single reads; bad input and unknown subjects are refused with
/// the matching error and store nothing.
contract NodeReportsTest {
    Vm private constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    NSGovernor private governor;
    ModelRegistry private registry;
    NodeReports private reports;
    uint256 private proposalId;
    bytes32 private role;

    function setUp() public {
        NSToken token = new NSToken(address(this));
        NSTimelock timelock = new NSTimelock(60, new address[](0), new address[](0), address(this));
        governor = new NSGovernor(
            token,
            timelock,
            NSGovernor.Settings({
                votingDelay: 1,
                votingPeriod: 300,
                proposalThreshold: 0,
                quorumNumerator: 4,
                lateQuorumExtension: 60
            })
        );
        registry = new ModelRegistry(address(this)); // the test plays the timelock
        reports = new NodeReports(governor, registry);

        address[] memory targets = new address[](1);
        targets[0] = address(registry);
        proposalId = governor.propose(targets, new uint256[](1), new bytes[](1), "a proposal to report on");
        role = registry.GENERATION();
        registry.adopt(role, "bafkreiadopted1", bytes32(uint256(1)));
        registry.adopt(role, "bafkreiadopted2", bytes32(uint256(2)));
    }

    function testFuzz_EachNodeKeepsOneReportInOrder(bytes32 seed, uint8 nodes, uint8 rounds) public {
        nodes = nodes % 12 + 1;
        rounds = rounds % 3 + 1;
        for (uint8 r = 1; r <= rounds; r++) {
            for (uint8 i = 0; i < nodes; i++) {
                vm.prank(_node(seed, i));
                reports.reportProposal(proposalId, _verdict(seed, i, r), _cid(seed, i, r), _digest(seed, i, r));
            }
        }
        require(reports.proposalReportCount(proposalId) == nodes, "one entry per node");
        NodeReports.Report[] memory page = reports.proposalReports(proposalId, 0, type(uint256).max);
        require(page.length == nodes, "a page holds them all");
        for (uint8 i = 0; i < nodes; i++) {
            NodeReports.Report memory at = reports.proposalReportAt(proposalId, i);
            require(at.node == _node(seed, i), "first-report order");
            require(at.revision == rounds, "a revision per report");
            require(at.verdict == _verdict(seed, i, rounds), "latest verdict");
            require(keccak256(bytes(at.cid)) == keccak256(bytes(_cid(seed, i, rounds))), "latest cid");
            require(at.digest == _digest(seed, i, rounds), "latest digest");
            require(at.reportedAt == block.timestamp, "report time");
            require(keccak256(abi.encode(page[i])) == keccak256(abi.encode(at)), "page agrees with at");
            require(keccak256(abi.encode(reports.proposalReportOf(proposalId, at.node))) == keccak256(abi.encode(at)), "of agrees with at");
        }
        require(reports.adoptionReportCount(role, 1) == 0, "proposal reports are not adoption reports");
    }

    function testFuzz_PagesClipAtTheEnd(uint8 nodes, uint256 offset, uint256 limit) public {
        nodes = nodes % 8;
        for (uint8 i = 0; i < nodes; i++) {
            vm.prank(_node(bytes32(0), i));
            reports.reportAdoption(role, 2, NodeReports.Verdict.Failed, "bafkreirollback", bytes32(uint256(i) + 1));
        }
        NodeReports.Report[] memory page = reports.adoptionReports(role, 2, offset, limit);
        uint256 expected = offset >= nodes ? 0 : (limit < nodes - offset ? limit : nodes - offset);
        require(page.length == expected, "page length");
        for (uint256 i = 0; i < page.length; i++) {
            require(page[i].node == _node(bytes32(0), uint8(offset + i)), "page order");
        }
    }

    function testFuzz_BadInputIsRefused(uint8 verdict, uint8 cidLength, bytes32 digest, bool zeroDigest) public {
        verdict = verdict % 4;
        if (zeroDigest) digest = bytes32(0);
        bytes memory cid = new bytes(cidLength); // 0 to 255 bytes: empty, valid and too long alike
        for (uint256 i = 0; i < cid.length; i++) cid[i] = "b";
        bytes memory expected;
        if (verdict == 0) expected = abi.encodeWithSelector(NodeReports.NodeReportsMissingVerdict.selector);
        else if (cid.length == 0) expected = abi.encodeWithSelector(NodeReports.NodeReportsEmptyCid.selector);
        else if (cid.length > 128) expected = abi.encodeWithSelector(NodeReports.NodeReportsCidTooLong.selector, cid.length);
        else if (digest == bytes32(0)) expected = abi.encodeWithSelector(NodeReports.NodeReportsEmptyDigest.selector);

        try reports.reportProposal(proposalId, NodeReports.Verdict(verdict), string(cid), digest) {
            require(expected.length == 0, "bad input was accepted");
            require(reports.proposalReportCount(proposalId) == 1, "stored once");
            require(keccak256(bytes(reports.proposalReportAt(proposalId, 0).cid)) == keccak256(cid), "cid stored whole");
        } catch (bytes memory reason) {
            require(expected.length > 0, "good input was refused");
            require(keccak256(reason) == keccak256(expected), "refused with the matching error");
            require(reports.proposalReportCount(proposalId) == 0, "nothing stored");
        }
    }

    function testFuzz_UnknownProposalRefused(uint256 id) public {
        vm.assume(id != proposalId);
        try reports.reportProposal(id, NodeReports.Verdict.Passed, "bafkreireport", bytes32(uint256(1))) {
            revert("a report on an unknown proposal was accepted");
        } catch (bytes memory reason) {
            require(
                keccak256(reason) == keccak256(abi.encodeWithSelector(NodeReports.NodeReportsUnknownProposal.selector, id)),
                "NodeReportsUnknownProposal(id)"
            );
        }
    }

    function testFuzz_OnlyAdoptedVersionsTakeReports(bool ourRole, bytes32 anyRole, uint64 version) public {
        if (ourRole) {
            anyRole = role;
            version = version % 4; // 0 and 3 were never adopted, 1 and 2 were
        }
        bool adopted = anyRole == role && version >= 1 && version <= 2;
        try reports.reportAdoption(anyRole, version, NodeReports.Verdict.Failed, "bafkreirollback", bytes32(uint256(1))) {
            require(adopted, "a report on a version never adopted was accepted");
            require(reports.adoptionReportCount(anyRole, version) == 1, "stored");
        } catch (bytes memory reason) {
            require(!adopted, "a report on an adopted version was refused");
            require(
                keccak256(reason)
                    == keccak256(abi.encodeWithSelector(NodeReports.NodeReportsUnknownAdoption.selector, anyRole, version)),
                "NodeReportsUnknownAdoption(role, version)"
            );
            require(reports.adoptionReportCount(anyRole, version) == 0, "nothing stored");
        }
    }

    function _node(bytes32 seed, uint8 i) private pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encode(seed, i, "node")))));
    }

    function _verdict(bytes32 seed, uint8 i, uint8 r) private pure returns (NodeReports.Verdict) {
        return NodeReports.Verdict(uint8(uint256(keccak256(abi.encode(seed, i, r))) % 3) + 1);
    }

    function _cid(bytes32 seed, uint8 i, uint8 r) private pure returns (string memory) {
        return string(abi.encodePacked("bafkrei", keccak256(abi.encode(seed, i, r, "cid"))));
    }

    function _digest(bytes32 seed, uint8 i, uint8 r) private pure returns (bytes32) {
        return keccak256(abi.encode(seed, i, r, "digest"));
    }
}
