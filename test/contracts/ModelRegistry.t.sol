// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ModelRegistry} from "../../contracts/ModelRegistry.sol";
import {Vm} from "./Vm.sol";

/// @dev Fuzzed properties of ModelRegistry: versions count up by one per adoption and every one
/// stays readable; unknown roles and callers other than the owner are refused.
contract ModelRegistryTest {
    Vm private constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    ModelRegistry private registry;

    function setUp() public {
        registry = new ModelRegistry(address(this)); // the test plays the timelock
    }

    function testFuzz_VersionsCountUpAndStay(uint8 count, bytes32 seed, uint8 roleIndex) public {
        count = count % 16 + 1;
        bytes32 role = [registry.GENERATION(), registry.EMBEDDING(), registry.PARAMETERS()][roleIndex % 3];
        for (uint64 v = 1; v <= count; v++) {
            registry.adopt(role, _cid(seed, v), keccak256(abi.encode(seed, v)));
            require(registry.versionCount(role) == v, "version is the adoption count");
        }
        for (uint64 v = 1; v <= count; v++) {
            (string memory cid, bytes32 digest,) = registry.adoptionOf(role, v);
            require(keccak256(bytes(cid)) == keccak256(bytes(_cid(seed, v))), "cid kept");
            require(digest == keccak256(abi.encode(seed, v)), "digest kept");
        }
        (uint64 version, string memory current,,) = registry.current(role);
        require(version == count && keccak256(bytes(current)) == keccak256(bytes(_cid(seed, count))), "current is the last");
        try registry.adoptionOf(role, uint64(count) + 1) {
            revert("a version past the last was readable");
        } catch (bytes memory reason) {
            require(bytes4(reason) == ModelRegistry.ModelRegistryNoSuchVersion.selector, "ModelRegistryNoSuchVersion");
        }
    }

    function testFuzz_UnknownRoleRefused(bytes32 role) public {
        vm.assume(!registry.isRole(role));
        try registry.adopt(role, "bafkreiexample", bytes32(uint256(1))) {
            revert("an unknown role was adopted");
        } catch (bytes memory reason) {
            require(
                keccak256(reason) == keccak256(abi.encodeWithSelector(ModelRegistry.ModelRegistryUnknownRole.selector, role)),
                "ModelRegistryUnknownRole(role)"
            );
        }
    }

    function testFuzz_OnlyTheOwnerAdopts(address caller) public {
        vm.assume(caller != address(this));
        bytes32 role = registry.GENERATION();
        vm.prank(caller);
        try registry.adopt(role, "bafkreiexample", bytes32(uint256(1))) {
            revert("a stranger adopted");
        } catch (bytes memory reason) {
            require(
                keccak256(reason) == keccak256(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, caller)),
                "OwnableUnauthorizedAccount(caller)"
            );
        }
        require(registry.versionCount(role) == 0, "nothing adopted");
    }

    function _cid(bytes32 seed, uint64 v) private pure returns (string memory) {
        return string(abi.encodePacked("bafkrei", seed, v));
    }
}
