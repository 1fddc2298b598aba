// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";

/**
 * @title NSToken
 * @dev The contributors' voting token. Votes are delegated (ERC20Votes) and checkpointed by
 * timestamp (ERC-6372 `mode=timestamp`), so the governor's delay and period read as seconds.
 * Minting belongs to the owner, which is the timelock once the network is bootstrapped: new
 * tokens are themselves a governance decision.
 */
contract NSToken is ERC20, ERC20Permit, ERC20Votes, Ownable {
    constructor(address initialOwner)
        ERC20("NS-LLM Governance", "NSG")
        ERC20Permit("NS-LLM Governance")
        Ownable(initialOwner)
    {}

    /**
     * @dev Creates `amount` tokens for `to`.
     *
     * Emits a {Transfer} event from the zero address.
     *
     * Requirements:
     * - the caller is the owner.
     */
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }

    /// @dev Checkpoints are keyed by block timestamp (ERC-6372).
    function clock() public view override returns (uint48) {
        return Time.timestamp();
    }

    /// @dev Machine-readable description of the clock, as ERC-6372 specifies.
    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() public pure override returns (string memory) {
        return "mode=timestamp";
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }

    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }
}
