import FleetTree

/// Applies an ``OwnerRangeMap`` to a stream's entries as they are read
/// (``TreeStreamReader/apply(from:into:digests:newNamesInPlace:owners:)``):
/// owners in the source guest's range go to the target range, and so do the
/// ids named by POSIX ACLs and the root id of a file capability (as
/// TreeOwnershipShifter moves them at a start).
///
/// The source range is not in the stream (it carries no root record): it is
/// learned from the first entry owned above the host's own ids, and handed
/// to `learned` before any entry is written with it, so that the caller can
/// record it beside the tree first.
public final class StreamOwnerMapper {
    public let targetBase: UInt32
    public let contextId: Int
    /// The map, once the source range is known.
    public private(set) var map: OwnerRangeMap?
    /// Whether every entry so far had both ids in the source range.
    public private(set) var exact: Bool
    private let learned: (OwnerRangeMap) throws -> Void

    /// For a tree whose map was recorded by an earlier stream (a delta).
    public init(continuing map: OwnerRangeMap) {
        self.map = map
        targetBase = map.targetBase
        contextId = map.contextId
        exact = map.exact
        learned = { _ in }
    }

    /// For the first stream into a tree: the source range is learned.
    public init(targetBase: UInt32, contextId: Int, learned: @escaping (OwnerRangeMap) throws -> Void) {
        self.targetBase = targetBase
        self.contextId = contextId
        exact = true
        self.learned = learned
    }

    /// The map with what this stream found (`exact` as it is now).
    public var current: OwnerRangeMap? {
        guard var map else { return nil }
        map.exact = exact
        return map
    }

    func apply(uid: inout UInt32, gid: inout UInt32, attributes: inout [ExtendedAttribute], display: String) throws {
        if map == nil, let first = [uid, gid].first(where: { $0 >= OwnerRangeMap.rangeSize }) {
            let learnt = OwnerRangeMap(sourceBase: OwnerRangeMap.base(of: first), targetBase: targetBase, contextId: contextId, exact: exact)
            try learned(learnt)
            map = learnt
        }
        if let map {
            for id in [uid, gid] where map.isAmbiguous(id) {
                throw TreeProblem(
                    path: display,
                    problem: "\"\(display)\" is owned by host id \(id), outside the guest's own id range but inside the one this host plans for it (context id \(contextId))",
                    remedy: "give it an owner inside the guest (a start of the guest on its host moves every owner into its range), then retry")
            }
        }
        if let moved = map?.mapped(uid) { uid = moved } else { exact = false }
        if let moved = map?.mapped(gid) { gid = moved } else { exact = false }
        // Only in a layer known to be a user namespace guest's: the ids a
        // layer of the host's own range names (--no-userns) stay as they are.
        guard map != nil else { return }
        for i in attributes.indices {
            let name = attributes[i].name
            if Self.aclNames.contains(name) {
                if let moved = OwnerXattrs.rebasedACL(attributes[i].value, to: targetBase, rangeSize: OwnerRangeMap.rangeSize) { attributes[i].value = moved }
            } else if name == Self.capabilityName {
                if let moved = OwnerXattrs.rebasedCapability(attributes[i].value, to: targetBase, rangeSize: OwnerRangeMap.rangeSize) { attributes[i].value = moved }
            }
        }
    }

    private static let aclNames = OwnerXattrs.aclNames.map { Array($0.utf8) }
    private static let capabilityName = Array(OwnerXattrs.capabilityName.utf8)
}
