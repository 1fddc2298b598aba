/**
 * ModelRegistry on its own: what an adoption must carry and how versions are numbered. The
 * tests call it as its owner, the timelock, impersonated on the Hardhat network (the governance
 * path to the same function is covered by governance-lifecycle.test.ts).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { keccak256, parseEther, toHex, zeroAddress, zeroHash } from "viem";
import { modelRegistryAbi, modelRegistryBytecode, roleFromId, ROLES, roleId } from "@ns-llm/contracts";
import { deployNsLlm } from "../helpers/contracts/fixture.ts";
import { fakeManifest } from "../helpers/contracts/governance.ts";

const connection = await network.create();
const { viem, networkHelpers } = connection;

/** The deployment, plus the registry bound to its owner (the timelock, impersonated). */
async function deployed() {
  const f = await deployNsLlm(connection, { contributors: 0 });
  await networkHelpers.impersonateAccount(f.timelock.address);
  await networkHelpers.setBalance(f.timelock.address, parseEther("1"));
  const owner = await viem.getWalletClient(f.timelock.address);
  return { ...f, asOwner: f.as(owner).registry };
}

describe("ModelRegistry", () => {
  it("knows the governed roles by the ids the node and the dApp compute", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    assert.equal(await f.registry.read.GENERATION(), roleId("generation"));
    assert.equal(await f.registry.read.EMBEDDING(), roleId("embedding"));
    assert.equal(await f.registry.read.PARAMETERS(), roleId("parameters"));
    assert.equal(await f.registry.read.MODERATION(), roleId("moderation"));
    assert.equal(await f.registry.read.RELEASE(), roleId("release"));
    for (const role of ROLES) {
      assert.equal(await f.registry.read.isRole([roleId(role)]), true);
      assert.equal(roleFromId(roleId(role)), role);
    }
    assert.equal(await f.registry.read.isRole([keccak256(toHex("training"))]), false);
    assert.equal(await f.registry.read.isRole([zeroHash]), false);
  });

  it("refuses an unknown role", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const { cid, digest } = fakeManifest("unknown-role");
    for (const role of [keccak256(toHex("training")), keccak256(toHex("Generation")), zeroHash]) {
      await viem.assertions.revertWithCustomErrorWithArgs(f.asOwner.write.adopt([role, cid, digest]), f.registry, "ModelRegistryUnknownRole", [role]);
    }
  });

  it("refuses an empty CID or a zero digest", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const { cid, digest } = fakeManifest("empty");
    const role = roleId("embedding");
    await viem.assertions.revertWithCustomError(f.asOwner.write.adopt([role, "", digest]), f.registry, "ModelRegistryEmptyManifest");
    await viem.assertions.revertWithCustomError(f.asOwner.write.adopt([role, cid, zeroHash]), f.registry, "ModelRegistryEmptyManifest");
    await viem.assertions.revertWithCustomError(f.asOwner.write.adopt([role, "", zeroHash]), f.registry, "ModelRegistryEmptyManifest");
    assert.equal(await f.registry.read.versionCount([role]), 0n);
  });

  it("numbers versions per role from 1, keeps each, and reports none before the first", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const generation = roleId("generation");
    const parameters = roleId("parameters");
    assert.deepEqual(await f.registry.read.current([generation]), [0n, "", zeroHash, 0n]);
    await viem.assertions.revertWithCustomErrorWithArgs(f.registry.read.adoptionOf([generation, 1n]), f.registry, "ModelRegistryNoSuchVersion", [
      generation,
      1n,
    ]);

    const manifests = [fakeManifest("g1"), fakeManifest("g2"), fakeManifest("g3")];
    for (const [i, m] of manifests.entries()) {
      await viem.assertions.emitWithArgs(f.asOwner.write.adopt([generation, m.cid, m.digest]), f.registry, "ManifestAdopted", [
        generation,
        BigInt(i + 1),
        m.cid,
        m.digest,
      ]);
    }
    // Another role starts its own count; the same manifest may be adopted again (a rollback is a new version).
    const p = fakeManifest("p1");
    await viem.assertions.emitWithArgs(f.asOwner.write.adopt([parameters, p.cid, p.digest]), f.registry, "ManifestAdopted", [parameters, 1n, p.cid, p.digest]);
    await viem.assertions.emitWithArgs(
      f.asOwner.write.adopt([generation, manifests[0]!.cid, manifests[0]!.digest]),
      f.registry,
      "ManifestAdopted",
      [generation, 4n, manifests[0]!.cid, manifests[0]!.digest],
    );

    assert.equal(await f.registry.read.versionCount([generation]), 4n);
    assert.equal(await f.registry.read.versionCount([parameters]), 1n);
    assert.equal(await f.registry.read.versionCount([roleId("embedding")]), 0n);
    const [version, cid, digest] = await f.registry.read.current([generation]);
    assert.deepEqual([version, cid, digest], [4n, manifests[0]!.cid, manifests[0]!.digest]);
    for (const [i, m] of manifests.entries()) {
      const [storedCid, storedDigest, adoptedAt] = await f.registry.read.adoptionOf([generation, BigInt(i + 1)]);
      assert.deepEqual([storedCid, storedDigest], [m.cid, m.digest]);
      assert.ok(adoptedAt > 0n);
    }
    await viem.assertions.revertWithCustomErrorWithArgs(f.registry.read.adoptionOf([generation, 5n]), f.registry, "ModelRegistryNoSuchVersion", [
      generation,
      5n,
    ]);
  });

  it("stores a long CID exactly", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const cid = `bafybei${"q".repeat(200)}`; // longer than one storage slot
    const { digest } = fakeManifest("long");
    await f.mined(f.asOwner.write.adopt([roleId("embedding"), cid, digest]));
    assert.equal((await f.registry.read.current([roleId("embedding")]))[1], cid);
  });

  it("cannot be deployed without an owner", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.deployer.deployContract({ abi: modelRegistryAbi, bytecode: modelRegistryBytecode, args: [zeroAddress], account: f.deployer.account, chain: f.deployer.chain }),
      f.registry,
      "OwnableInvalidOwner",
      [zeroAddress],
    );
  });
});
