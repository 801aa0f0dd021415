/// Where a host is listed: which candidate index, and which list inside it.
struct IndexMembership: Sendable {
    var index: Int32
    var slot: Int32
}
