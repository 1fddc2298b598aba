// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {AuditAnchor} from "../../contracts/AuditAnchor.sol";
import {Vm} from "./Vm.sol";

/// @dev Fuzzed properties of AuditAnchor's ordering: batches chain without gaps or overlaps, any
/// other start is refused with the expected start, and nodes never share a sequence.
contract AuditAnchorTest {
    Vm private constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    AuditAnchor private anchor;

    function setUp() public {
        anchor = new AuditAnchor();
    }

    function testFuzz_ConsecutiveBatchesChain(uint32 a, uint32 b, uint32 c) public {
        uint64[3] memory lengths = [uint64(a) + 1, uint64(b) + 1, uint64(c) + 1];
        uint64 from = 0;
        for (uint256 i = 0; i < lengths.length; i++) {
            uint64 to = from + lengths[i] - 1;
            anchor.anchor(keccak256(abi.encode(i)), from, to);
            (bytes32 root, uint64 storedFrom, uint64 storedTo,) = anchor.batchOf(address(this), i);
            require(root == keccak256(abi.encode(i)) && storedFrom == from && storedTo == to, "batch stored as anchored");
            from = to + 1;
            require(anchor.nextSeq(address(this)) == from, "next batch starts right after");
        }
        require(anchor.batchCount(address(this)) == 3, "three batches");
    }

    function testFuzz_AnyOtherStartIsRefused(uint64 firstTo, uint64 start, uint64 length) public {
        firstTo = firstTo % (type(uint64).max - 2);
        uint64 expected = firstTo + 1;
        vm.assume(start != expected && start < type(uint64).max);
        uint64 to = start + (length % (type(uint64).max - start));
        anchor.anchor(bytes32(uint256(1)), 0, firstTo);
        try anchor.anchor(bytes32(uint256(2)), start, to) {
            revert("a gap or an overlap was accepted");
        } catch (bytes memory reason) {
            require(
                keccak256(reason) == keccak256(abi.encodeWithSelector(AuditAnchor.AuditAnchorOutOfOrder.selector, expected, start)),
                "refused with AuditAnchorOutOfOrder(expected, start)"
            );
        }
        require(anchor.batchCount(address(this)) == 1, "nothing stored");
    }

    function testFuzz_RangeIsCheckedAndNeverOverflows(uint64 to) public {
        try anchor.anchor(bytes32(uint256(1)), 0, to) {
            require(to < type(uint64).max, "the last uint64 is refused");
            require(anchor.nextSeq(address(this)) == to + 1, "nextSeq follows the batch");
        } catch (bytes memory reason) {
            require(to == type(uint64).max, "only the last uint64 is refused");
            require(
                keccak256(reason) == keccak256(abi.encodeWithSelector(AuditAnchor.AuditAnchorInvalidRange.selector, uint64(0), to)),
                "refused with AuditAnchorInvalidRange"
            );
        }
    }

    function test_LastUint64IsRefused() public {
        uint64 max = type(uint64).max;
        try anchor.anchor(bytes32(uint256(1)), 0, max) {
            revert("a batch ending at the last uint64 was accepted");
        } catch (bytes memory reason) {
            require(
                keccak256(reason) == keccak256(abi.encodeWithSelector(AuditAnchor.AuditAnchorInvalidRange.selector, uint64(0), max)),
                "refused with AuditAnchorInvalidRange(0, max)"
            );
        }
        anchor.anchor(bytes32(uint256(1)), 0, max - 1);
        require(anchor.nextSeq(address(this)) == max, "the last start is still reachable");
    }

    function testFuzz_NodesAreIndependent(address alpha, address beta, uint32 alphaTo, uint32 betaTo) public {
        vm.assume(alpha != beta);
        vm.prank(alpha);
        anchor.anchor(bytes32(uint256(1)), 0, alphaTo);
        vm.prank(beta);
        anchor.anchor(bytes32(uint256(2)), 0, betaTo);
        require(anchor.nextSeq(alpha) == uint64(alphaTo) + 1 && anchor.nextSeq(beta) == uint64(betaTo) + 1, "separate sequences");
        require(anchor.batchCount(alpha) == 1 && anchor.batchCount(beta) == 1, "separate lists");
    }
}
