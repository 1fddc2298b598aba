// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/**
 * @title NSTimelock
 * @dev Executes what the governor passed, after `minDelay` seconds. Deployment makes the governor
 * its only proposer and canceller, lets anyone execute (executor role held by the zero address),
 * and renounces the deployer's admin role, so that only governance itself can change these rules.
 */
contract NSTimelock is TimelockController {
    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors, address admin)
        TimelockController(minDelay, proposers, executors, admin)
    {}
}
