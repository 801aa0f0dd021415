/// How a moved layer's owners go from the source guest's id range to the
/// one its destination will give it, as the stream is applied, so that the
/// start after the move has nothing to rebase (TreeOwnershipShifter: ~0.9 s
/// of `lchown` for 50,000 entries, while the guest is down).
///
/// Only ids inside the source range move (`mapped`); any other id is left
/// as it came, and the layer is then not `exact`: its start rebases it as
/// before, folding every id into the guest's range. The staged tree's digest
/// is taken with the ids put back (`original`), so it equals the source's:
/// exactly, because an id of the target range can only have come from the
/// source range, and one of the source range cannot have stayed. A source id that lies in the target range without being in
/// the source range would make that inverse ambiguous; the copy refuses it
/// (`isAmbiguous`) rather than verify a tree it cannot name exactly.
public struct OwnerRangeMap: Codable, Sendable, Equatable {
    public static let rangeSize = TreeOwnershipShifter.rangeSize

    /// The first id of the source guest's range (a multiple of 65536).
    public var sourceBase: UInt32
    /// The first id of the range the destination plans for the guest.
    public var targetBase: UInt32
    /// The context id of that range, which adopt gives the guest if it is
    /// still free then.
    public var contextId: Int
    /// Whether every entry applied so far had both ids in the source range.
    public var exact: Bool

    public init(sourceBase: UInt32, targetBase: UInt32, contextId: Int, exact: Bool = true) {
        self.sourceBase = sourceBase
        self.targetBase = targetBase
        self.contextId = contextId
        self.exact = exact
    }

    /// The base of the range `id` lies in.
    public static func base(of id: UInt32) -> UInt32 { id - id % rangeSize }

    /// The id at the destination, or nil for an id outside the source range
    /// (left unchanged).
    public func mapped(_ id: UInt32) -> UInt32? {
        Self.base(of: id) == sourceBase ? targetBase + id % Self.rangeSize : nil
    }

    /// The id the source had for `id` found in the staged tree. An id of
    /// the source range cannot be there (the copy moved every one of them):
    /// it gives the id that means "no id", which no source tree records, so
    /// that such a tree's digest differs from the source's.
    public func original(_ id: UInt32) -> UInt32 {
        switch Self.base(of: id) {
        case targetBase: sourceBase + id % Self.rangeSize
        case sourceBase: Self.noId
        default: id
        }
    }

    /// uid_t -1: "no id" to chown(2), never an owner on disk.
    public static let noId = UInt32.max

    /// An id outside the source range but inside the target range: left
    /// unchanged, `original` would take it for a mapped one.
    public func isAmbiguous(_ id: UInt32) -> Bool {
        Self.base(of: id) == targetBase && Self.base(of: id) != sourceBase
    }
}
