// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title IEvidenceRegistry
 * @notice A public, append-only registry of Merkle roots. Each root commits to a batch of evidence
 * items; the registry records the first block in which a root was seen, so that anyone can prove an
 * item existed no later than that block's time.
 *
 * Leaves follow the StandardMerkleTree of OpenZeppelin's merkle-tree library: for an item with
 * content hash `c` and metadata hash `m` (both SHA-256), the leaf is
 * `keccak256(bytes.concat(keccak256(abi.encode(c, m))))`, and pairs are hashed sorted.
 *
 * To check an item, call {verifyItem} with the two hashes a receipt prints. Version 1 of this
 * registry (deployed before {VERSION} existed, and without {verifyItem}) has only {verify}, which
 * proves a node, not an item: there, compute the leaf with {leafHash} and check the proof off chain.
 */
interface IEvidenceRegistry {
    /**
     * @notice A root was anchored for the first time.
     * @param root The Merkle root of the batch.
     * @param submitter The account that sent the anchoring transaction.
     * @param timestamp The block timestamp (Unix seconds) at which the root was anchored.
     * @param blockNumber The number of the block that anchored the root.
     */
    event RootAnchored(bytes32 indexed root, address indexed submitter, uint64 timestamp, uint64 blockNumber);

    /// @notice The zero root cannot be anchored: it is what an unknown root reads as.
    error EvidenceRegistryZeroRoot();

    /**
     * @notice The root was anchored before; its first anchor never changes.
     * @param root The root that was submitted again.
     * @param timestamp The block timestamp of the first anchor.
     * @param blockNumber The block number of the first anchor.
     */
    error EvidenceRegistryAlreadyAnchored(bytes32 root, uint64 timestamp, uint64 blockNumber);

    /**
     * @notice Anchors `root` at the current block. Only accounts with {ANCHORER_ROLE} may call it.
     * @dev Reverts with {EvidenceRegistryZeroRoot} for a zero root and with
     * {EvidenceRegistryAlreadyAnchored} for a root anchored before. Emits {RootAnchored}.
     * @param root The Merkle root of a batch of evidence items.
     * @return timestamp The block timestamp recorded for the root.
     */
    function anchor(bytes32 root) external returns (uint64 timestamp);

    /**
     * @notice When `root` was first anchored, and by whom.
     * @param root A Merkle root.
     * @return timestamp The block timestamp (Unix seconds) of the anchor, 0 if never anchored.
     * @return blockNumber The number of the anchoring block, 0 if never anchored.
     * @return submitter The account that anchored it, the zero address if never anchored.
     */
    function anchorOf(bytes32 root) external view returns (uint64 timestamp, uint64 blockNumber, address submitter);

    /**
     * @notice Checks that the evidence item `(contentSha256, metadataSha256)` is in the batch whose
     * anchored root is `root`. The leaf is computed here, as {leafHash} does, so only an item can pass:
     * no inner node of the tree is the leaf of any pair of hashes.
     * @param root An anchored Merkle root.
     * @param contentSha256 The SHA-256 of the evidence file.
     * @param metadataSha256 The SHA-256 of the item's canonical (RFC 8785) metadata JSON.
     * @param proof The sibling hashes from the leaf up to the root (StandardMerkleTree order).
     * @return timestamp The anchor's block timestamp if the proof holds and the root is anchored, else 0.
     */
    function verifyItem(
        bytes32 root,
        bytes32 contentSha256,
        bytes32 metadataSha256,
        bytes32[] calldata proof
    ) external view returns (uint64 timestamp);

    /**
     * @notice Checks that `proof` places the node `leaf` under the anchored `root`. Kept for callers of
     * version 1.
     * @dev This proves that some node is in the tree, not that an item is: an inner node with its
     * shorter proof passes too (see the warning in OpenZeppelin's MerkleProof). Verifiers must use
     * {verifyItem}, or compute `leaf` themselves with {leafHash} from the item's two hashes.
     * @param root An anchored Merkle root.
     * @param leaf A node hash; for an item, its leaf as computed by {leafHash}.
     * @param proof The sibling hashes from the node up to the root (StandardMerkleTree order).
     * @return timestamp The anchor's block timestamp if the proof holds and the root is anchored, else 0.
     */
    function verify(bytes32 root, bytes32 leaf, bytes32[] calldata proof) external view returns (uint64 timestamp);

    /**
     * @notice The leaf hash of an evidence item, so that a verifier with only a block explorer can
     * compute a leaf from the two hashes printed on a receipt.
     * @param contentSha256 The SHA-256 of the evidence file.
     * @param metadataSha256 The SHA-256 of the item's canonical (RFC 8785) metadata JSON.
     * @return The StandardMerkleTree leaf hash of `(contentSha256, metadataSha256)`.
     */
    function leafHash(bytes32 contentSha256, bytes32 metadataSha256) external pure returns (bytes32);

    /// @notice The role allowed to call {anchor}. Granted and revoked by the admin role.
    function ANCHORER_ROLE() external view returns (bytes32);

    /**
     * @notice The version of this registry's interface, which receipts cite: "2" has {verifyItem}.
     * @dev Registries of version 1 have no such function (a call to it reverts); their receipts keep
     * verifying through {anchorOf}, {leafHash} and an off-chain proof check.
     */
    function VERSION() external view returns (string memory);
}
