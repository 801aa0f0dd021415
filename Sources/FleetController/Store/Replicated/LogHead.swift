/// The log's head key as etcd holds it: the number of the last entry, and
/// the etcd revision of the write that set it (what an append compares).
struct LogHead: Equatable {
    let seq: Int64
    let revision: Int64
}
