import FleetEtcd
import FleetSystem
import Foundation

/// The fleet's log as it lies in etcd (docs/ARCHITECTURE.md, the
/// replicated store), under `<prefix>/store/`:
///
///     fleet                 the fleet's id (present: etcd holds a fleet)
///     head                  the number of the last entry (decimal)
///     log/<seq, 20 digits>  an entry: a write's changeset (LogEntry)
///     snapshot              the newest snapshot's manifest (JSON)
///     snapshot/<id>/<n>     its chunks, at most 1 MB each
///
/// An append is one transaction that holds only if `head` is still what
/// the writer's replica was built on: it puts the entry and the new head
/// together, so the log has no gaps and one writer wins each number.
struct ReplicaLog: Sendable {
    let client: EtcdClient
    let prefix: String

    enum Append: Equatable {
        case committed
        /// Another writer took this number: nothing of ours is in the log.
        case lost
    }

    var fleetKey: String { prefix + "/store/fleet" }
    var headKey: String { prefix + "/store/head" }
    var manifestKey: String { prefix + "/store/snapshot" }

    func logKey(_ seq: Int64) -> String {
        let digits = String(seq)
        return prefix + "/store/log/" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }

    func chunkKey(_ id: String, _ index: Int) -> String {
        let digits = String(index)
        return prefix + "/store/snapshot/\(id)/" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    func fleet() throws(EtcdError) -> String? { try client.get(fleetKey)?.valueString }

    /// The head, read linearizably (what a majority of members has committed now).
    func head() throws(EtcdError) -> LogHead {
        guard let kv = try client.get(headKey) else { return LogHead(seq: 0, revision: 0) }
        guard let seq = Int64(kv.valueString) else {
            throw EtcdError(.badResponse, "etcd key \(headKey) holds '\(kv.valueString.prefix(40))', not an entry number: is another program writing under \(prefix)?")
        }
        return LogHead(seq: seq, revision: kv.modRevision)
    }

    /// Entries after `seq` up to `last`, in order, at most `limit`; the
    /// list starts later than seq + 1 when those entries were compacted.
    func entries(after seq: Int64, through last: Int64, limit: Int64 = 64) throws(EtcdError) -> [(seq: Int64, value: Data)] {
        let range = EtcdKeyRange(key: Data(logKey(seq + 1).utf8), end: Data(logKey(last + 1).utf8))
        let answer = try client.range(EtcdRangeRequest(range, limit: limit))
        return answer.kvs.compactMap { kv in
            Int64(kv.keyString.split(separator: "/").last ?? "").map { (seq: $0, value: kv.value) }
        }
    }

    /// Appends `entry` as number `head.seq + 1` if the head is still
    /// `head`. When etcd does not answer, reads back until it can tell
    /// whether the entry went in (`EtcdError.outcomeUnknown` only if it
    /// cannot find out either).
    func append(_ entry: LogEntry, after head: LogHead) throws(EtcdError) -> Append {
        let value = entry.encoded
        let next = head.seq + 1
        let request = EtcdTxnRequest(
            compare: [
                // The safety check: another writer's entry since `head`
                // changed the head's revision. Without it two writers
                // could both take number `next`.
                EtcdCompare(headKey, .equal, .modRevision(head.revision)),
            ],
            success: [
                .put(EtcdPutRequest(key: Data(logKey(next).utf8), value: value)),
                .put(EtcdPutRequest(headKey, String(next))),
            ])
        do {
            return try client.txn(request).succeeded ? .committed : .lost
        } catch where error.kind == .outcomeUnknown {
            return try resolve(value, number: next, after: head, cause: error)
        }
    }

    /// After an append got no answer: if the head moved, the entry at
    /// `number` is ours or another's (the nonce tells); if it did not,
    /// rewrite the head with its own value so that our append, should it
    /// still arrive, fails its compare, and call it lost.
    private func resolve(_ value: Data, number: Int64, after head: LogHead, cause: EtcdError) throws(EtcdError) -> Append {
        let deadline = Monotonic.now + 3 * client.settings.requestTimeout
        var last = cause
        while Monotonic.now < deadline {
            do throws(EtcdError) {
                let now = try self.head()
                if now.revision != head.revision {
                    return try client.get(logKey(number))?.value == value ? .committed : .lost
                }
                let fence = EtcdTxnRequest(
                    compare: [EtcdCompare(headKey, .equal, .modRevision(head.revision))],
                    success: [.put(EtcdPutRequest(headKey, String(head.seq)))])
                if try client.txn(fence).succeeded { return .lost }
            } catch {
                last = error
                usleep(100_000)
            }
        }
        throw EtcdError(.outcomeUnknown, "etcd did not answer the append of log entry \(number) and cannot be read back now (\(last.message)): the write may or may not be committed")
    }
}
