// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";
import {IEvidenceRegistry} from "./IEvidenceRegistry.sol";

/**
 * @title EvidenceRegistry
 * @notice See {IEvidenceRegistry}. Roots are write-once: nobody, not even the admin, can change or
 * remove an anchor, which is what makes its time trustworthy to a third party.
 */
contract EvidenceRegistry is IEvidenceRegistry, AccessControl {
    /// @inheritdoc IEvidenceRegistry
    string public constant VERSION = "2";

    /// @inheritdoc IEvidenceRegistry
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");

    // 48 + 48 + 160 bits: one storage slot per anchor keeps a batch's cost near 50k gas.
    // uint48 holds timestamps and block numbers for millions of years (OpenZeppelin's Time timepoints).
    struct Anchor {
        uint48 timestamp;
        uint48 blockNumber;
        address submitter;
    }

    mapping(bytes32 root => Anchor) private _anchors;

    /**
     * @param admin Receives the admin role: grants and revokes {ANCHORER_ROLE}.
     * @param anchorer Receives {ANCHORER_ROLE}; the zero address grants it to nobody.
     */
    constructor(address admin, address anchorer) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        if (anchorer != address(0)) {
            _grantRole(ANCHORER_ROLE, anchorer);
        }
    }

    /// @inheritdoc IEvidenceRegistry
    function anchor(bytes32 root) external onlyRole(ANCHORER_ROLE) returns (uint64 timestamp) {
        if (root == bytes32(0)) {
            revert EvidenceRegistryZeroRoot();
        }
        Anchor memory existing = _anchors[root];
        if (existing.timestamp != 0) {
            revert EvidenceRegistryAlreadyAnchored(root, existing.timestamp, existing.blockNumber);
        }
        uint48 time = _time();
        uint48 blockNumber = _blockNumber();
        _anchors[root] = Anchor(time, blockNumber, msg.sender);
        emit RootAnchored(root, msg.sender, time, blockNumber);
        return time;
    }

    /// @inheritdoc IEvidenceRegistry
    function anchorOf(bytes32 root) external view returns (uint64 timestamp, uint64 blockNumber, address submitter) {
        Anchor memory a = _anchors[root];
        return (a.timestamp, a.blockNumber, a.submitter);
    }

    /// @inheritdoc IEvidenceRegistry
    function verifyItem(
        bytes32 root,
        bytes32 contentSha256,
        bytes32 metadataSha256,
        bytes32[] calldata proof
    ) external view returns (uint64 timestamp) {
        return _verify(root, _leafHash(contentSha256, metadataSha256), proof);
    }

    /// @inheritdoc IEvidenceRegistry
    function verify(bytes32 root, bytes32 leaf, bytes32[] calldata proof) external view returns (uint64 timestamp) {
        return _verify(root, leaf, proof);
    }

    /// @inheritdoc IEvidenceRegistry
    function leafHash(bytes32 contentSha256, bytes32 metadataSha256) external pure returns (bytes32) {
        return _leafHash(contentSha256, metadataSha256);
    }

    /// @dev The current block's time, the one clock every anchor reads (overridable, as EAS's `_time()`).
    function _time() internal view virtual returns (uint48) {
        return Time.timestamp();
    }

    /// @dev The current block's number, read beside {_time}.
    function _blockNumber() internal view virtual returns (uint48) {
        return Time.blockNumber();
    }

    /// @dev The anchor time of `root` if `proof` places `node` under it, else 0.
    function _verify(bytes32 root, bytes32 node, bytes32[] calldata proof) private view returns (uint64 timestamp) {
        timestamp = _anchors[root].timestamp;
        if (timestamp == 0 || !MerkleProof.verifyCalldata(proof, root, node)) {
            return 0;
        }
    }

    /// @dev Double hashing, as StandardMerkleTree does, so a leaf can never pass for an inner node.
    function _leafHash(bytes32 contentSha256, bytes32 metadataSha256) private pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(contentSha256, metadataSha256))));
    }
}
