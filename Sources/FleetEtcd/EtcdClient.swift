import FleetSystem
import Foundation
import Synchronization

/// A client of etcd's v3 API through its JSON gateway (HTTP/1.1, see
/// docs/ARCHITECTURE.md, FleetEtcd). Synchronous: every call blocks its
/// thread until etcd answered or the request timeout passed, like the
/// controller's calls to agents. Safe to share between threads.
///
/// Failover: a call goes to the member that answered last; a member that
/// cannot be reached, or has no leader, passes it to the next. A request
/// that was sent and got no answer is sent again elsewhere only if it
/// cannot have changed anything (reads, keep-alives); a lost write is an
/// `outcomeUnknown` error, never repeated blindly.
public final class EtcdClient: Sendable {
    public let settings: EtcdSettings
    let preferred = Mutex(0)
    let tls: EtcdTLSContext?
    /// Member id → client endpoints, from member list: which member leads.
    let memberEndpoints = Mutex<[UInt64: [EtcdEndpoint]]>([:])

    /// Rounds over all endpoints when none can even be connected to.
    static let unreachableRounds = 3

    public init(settings: EtcdSettings) throws(EtcdError) {
        guard !settings.endpoints.isEmpty else {
            throw EtcdError(.invalidArgument, "no etcd endpoints: set VFLEET_ETCD_ENDPOINTS to the members' HOST:PORT, comma-separated")
        }
        tls = try settings.tls.map { files throws(EtcdError) in try EtcdTLSContext(files) }
        self.settings = settings
    }

    // MARK: Key-value

    public func range(_ request: EtcdRangeRequest) throws(EtcdError) -> EtcdRangeResult {
        try call("/v3/kv/range", request, what: "read of \(Self.describe(request.range))", retry: .idempotent)
    }

    /// The value of one key, or nil.
    public func get(_ key: String) throws(EtcdError) -> EtcdKeyValue? {
        try range(EtcdRangeRequest(.key(key))).kvs.first
    }

    public func put(_ request: EtcdPutRequest) throws(EtcdError) -> EtcdPutResult {
        try call("/v3/kv/put", request, what: "put of \(String(decoding: request.key, as: UTF8.self))", retry: .onlyIfNotSent)
    }

    public func delete(_ request: EtcdDeleteRequest) throws(EtcdError) -> EtcdDeleteResult {
        try call("/v3/kv/deleterange", request, what: "delete of \(Self.describe(request.range))", retry: .onlyIfNotSent)
    }

    public func txn(_ request: EtcdTxnRequest) throws(EtcdError) -> EtcdTxnResult {
        let keys = request.compare.map { String(decoding: $0.key, as: UTF8.self) }
        let what = "transaction" + (keys.isEmpty ? "" : " on \(keys.prefix(3).joined(separator: ", "))")
        return try call("/v3/kv/txn", request, what: what, retry: request.isReadOnly ? .idempotent : .onlyIfNotSent)
    }

    /// Drops the history before `revision` (reads and watches from older
    /// revisions then fail with `compacted`): what the log does behind a
    /// snapshot. Compacting twice to the same revision is refused by etcd.
    public func compact(before revision: Int64) throws(EtcdError) {
        let _: Empty = try call("/v3/kv/compaction", CompactionBody(revision: revision), what: "compaction to revision \(revision)", retry: .onlyIfNotSent)
    }

    // MARK: Leases

    /// A new lease of `ttl` seconds; keys put with it go when it expires.
    public func grantLease(ttl: Int64) throws(EtcdError) -> EtcdLease {
        let lease: EtcdLease = try call("/v3/lease/grant", LeaseGrantBody(ttl: ttl), what: "lease grant of \(ttl) s", retry: .onlyIfNotSent)
        return lease
    }

    /// Ends a lease now, deleting its keys.
    public func revokeLease(_ id: Int64) throws(EtcdError) {
        let _: Empty = try call("/v3/lease/revoke", LeaseIDBody(id: id), what: "revoke of lease \(id)", retry: .onlyIfNotSent)
    }

    /// Refreshes a lease to its granted TTL once; the answer's TTL. A lease
    /// that has expired is a `leaseNotFound` error.
    public func keepAliveOnce(_ id: Int64) throws(EtcdError) -> EtcdLease {
        let answer: KeepAliveAnswer = try call("/v3/lease/keepalive", LeaseIDBody(id: id), what: "keep-alive of lease \(id)", retry: .idempotent)
        if let error = answer.error {
            throw EtcdError(.rejected(code: error.code ?? -1), "etcd refused the keep-alive of lease \(id): \(error.text)")
        }
        guard let result = answer.result, result.ttl > 0 else {
            throw EtcdError(.leaseNotFound, "etcd: lease \(id) has expired or was revoked: its keys are gone; take a new lease")
        }
        return result
    }

    public func timeToLive(_ id: Int64, keys: Bool = false) throws(EtcdError) -> EtcdLeaseTimeToLive {
        try call("/v3/lease/timetolive", LeaseTimeToLiveBody(id: id, keys: keys), what: "time-to-live of lease \(id)", retry: .idempotent)
    }

    // MARK: Cluster

    public func members() throws(EtcdError) -> [EtcdMember] {
        let list: EtcdMemberList = try call("/v3/cluster/member/list", Empty(), what: "member list", retry: .idempotent)
        return list.members
    }

    /// The status of the member at `endpoint` (no failover: it asks that one).
    public func status(of endpoint: EtcdEndpoint) throws(EtcdError) -> EtcdStatus {
        try call("/v3/maintenance/status", Empty(), what: "status", retry: .idempotent, only: endpoint)
    }

    // MARK: Watch

    /// Follows changes to `range` from `revision` on (0: from now), including
    /// those committed before the watch began, in revision order.
    public func watch(_ range: EtcdKeyRange, fromRevision revision: Int64, previousValues: Bool = false) throws(EtcdError) -> EtcdWatch {
        try EtcdWatch(client: self, range: range, fromRevision: revision, previousValues: previousValues)
    }

    enum Retry {
        /// Safe to send again after a lost answer.
        case idempotent
        /// Sent again only when it never left (connect failed).
        case onlyIfNotSent
    }

    static func describe(_ range: EtcdKeyRange) -> String {
        let key = String(decoding: range.key, as: UTF8.self)
        if range.end.isEmpty { return key }
        if range.end == EtcdKeyRange.prefix(range.key).end { return "\(key)*" }
        return "[\(key), \(String(decoding: range.end, as: UTF8.self)))"
    }
}
