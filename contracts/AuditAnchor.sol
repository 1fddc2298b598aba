// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

/**
 * @title AuditAnchor
 * @dev Where nodes anchor the Merkle roots (RFC 6962, SHA-256) of their append-only audit logs.
 * Each node (the sender's address) has its own ordered list of batches; a batch covers the log
 * entries `fromSeq..toSeq` (inclusive, sequence numbers start at 0) and must start right after
 * the previous batch's end, so together the batches cover the log without gaps or overlaps.
 * Anyone can then check an entry's inclusion proof against the root stored here.
 */
contract AuditAnchor {
    /// @dev One anchored batch. The range and time share one storage slot.
    struct Batch {
        bytes32 root;
        uint64 fromSeq;
        uint64 toSeq;
        uint64 anchoredAt;
    }

    mapping(address node => Batch[]) private _batches;

    /// @dev Emitted when `node` anchors batch number `index`, covering entries `fromSeq..toSeq`.
    event Anchored(address indexed node, uint256 indexed index, bytes32 root, uint64 fromSeq, uint64 toSeq);

    /// @dev The root is zero.
    error AuditAnchorEmptyRoot();

    /// @dev `toSeq` is before `fromSeq`, or is the largest uint64 (which would leave no start for the next batch).
    error AuditAnchorInvalidRange(uint64 fromSeq, uint64 toSeq);

    /// @dev The batch does not start right after the node's previous one (`expected`).
    error AuditAnchorOutOfOrder(uint64 expected, uint64 fromSeq);

    /// @dev `node` has no batch number `index`.
    error AuditAnchorNoSuchBatch(address node, uint256 index);

    /**
     * @dev Anchors `root` for the sender's entries `fromSeq..toSeq`.
     *
     * Emits an {Anchored} event.
     *
     * Requirements:
     * - `root` is not zero and `fromSeq <= toSeq < type(uint64).max`;
     * - `fromSeq` is {nextSeq} of the sender (0 for its first batch).
     */
    function anchor(bytes32 root, uint64 fromSeq, uint64 toSeq) external {
        if (root == bytes32(0)) revert AuditAnchorEmptyRoot();
        // toSeq + 1 is where the next batch starts: at the top of uint64 it would overflow and
        // lock the sender out of anchoring (and {nextSeq}) for good.
        if (toSeq < fromSeq || toSeq == type(uint64).max) revert AuditAnchorInvalidRange(fromSeq, toSeq);
        uint64 expected = nextSeq(msg.sender);
        if (fromSeq != expected) revert AuditAnchorOutOfOrder(expected, fromSeq);

        Batch[] storage batches = _batches[msg.sender];
        batches.push(Batch({root: root, fromSeq: fromSeq, toSeq: toSeq, anchoredAt: uint64(block.timestamp)}));
        emit Anchored(msg.sender, batches.length - 1, root, fromSeq, toSeq);
    }

    /// @dev Returns how many batches `node` has anchored.
    function batchCount(address node) external view returns (uint256) {
        return _batches[node].length;
    }

    /**
     * @dev Returns batch `index` of `node`: its root, range and anchoring time.
     *
     * Requirements:
     * - `index` is below {batchCount}.
     */
    function batchOf(address node, uint256 index)
        external
        view
        returns (bytes32 root, uint64 fromSeq, uint64 toSeq, uint64 anchoredAt)
    {
        if (index >= _batches[node].length) revert AuditAnchorNoSuchBatch(node, index);
        Batch storage b = _batches[node][index];
        return (b.root, b.fromSeq, b.toSeq, b.anchoredAt);
    }

    /// @dev Returns the sequence number the next batch of `node` must start at.
    function nextSeq(address node) public view returns (uint64) {
        uint256 count = _batches[node].length;
        return count == 0 ? 0 : _batches[node][count - 1].toSeq + 1;
    }
}
