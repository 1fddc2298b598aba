// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

/// @dev The few Foundry cheatcodes the Solidity tests use (forge-std is not a dependency).
interface Vm {
    function prank(address sender) external;
    function assume(bool condition) external pure;
}
