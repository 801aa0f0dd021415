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
    private let preferred = Mutex(0)
    let tls: EtcdTLSContext?
    /// Member id → client endpoints, from member list: which member leads.
    private let memberEndpoints = Mutex<[UInt64: [EtcdEndpoint]]>([:])

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

    // MARK: Calls and failover

    enum Retry {
        /// Safe to send again after a lost answer.
        case idempotent
        /// Sent again only when it never left (connect failed).
        case onlyIfNotSent
    }

    func call<Answer: Decodable>(
        _ path: String, _ body: some Encodable, what: String, retry: Retry, only: EtcdEndpoint? = nil
    ) throws(EtcdError) -> Answer {
        let bytes = EtcdJSON.encode(body)
        let (answer, endpoint) = try withFailover(what: what, retry: retry, only: only) { endpoint, deadline throws(GatewayFailure) in
            try GatewayRequest.post(path, body: bytes, to: endpoint, tls: tls, connectBy: Monotonic.now + settings.connectTimeout, deadline: deadline)
        }
        do {
            return try EtcdJSON.decoder.decode(Answer.self, from: Data(answer))
        } catch {
            throw EtcdError(.badResponse, "etcd at \(endpoint) answered the \(what) with something vfleet cannot read (\(error)): is it etcd 3.4 or newer with its gRPC gateway enabled?")
        }
    }

    /// Runs `attempt` on the preferred endpoint, then the next ones, until
    /// one answers, the failure cannot be retried, or the request timeout.
    func withFailover<T>(
        what: String, retry: Retry, only: EtcdEndpoint? = nil,
        _ attempt: (EtcdEndpoint, Double) throws(GatewayFailure) -> T
    ) throws(EtcdError) -> (T, EtcdEndpoint) {
        let endpoints = only.map { [$0] } ?? settings.endpoints
        let deadline = Monotonic.now + settings.requestTimeout
        var index = only == nil ? preferred.withLock { $0 } : 0
        var failures: [(EtcdEndpoint, String)] = []
        var onlyUnreachable = true
        var round = 0
        while true {
            let position = index % endpoints.count
            let endpoint = endpoints[position]
            if retry == .onlyIfNotSent, !failures.isEmpty {
                // A write after a member failed: if that member led, the
                // others still follow it until their election timeout, and
                // a write sent now would be forwarded to it and lost.
                waitForLiveLeader(at: endpoint, avoiding: Set(failures.map(\.0)), deadline: deadline)
            }
            // A read gets half the time on one member, so that a member
            // stuck without its leader leaves time to ask another.
            let attemptDeadline = retry == .idempotent ? min(deadline, Monotonic.now + max(1, settings.requestTimeout / 2)) : deadline
            do throws(GatewayFailure) {
                let result = try attempt(endpoint, attemptDeadline)
                if only == nil { preferred.withLock { $0 = position } }
                return (result, endpoint)
            } catch {
                switch error {
                case .notSent(let reason):
                    failures.append((endpoint, reason))
                case .noAnswer(let reason):
                    guard retry == .idempotent else {
                        throw EtcdError(.outcomeUnknown, "etcd at \(endpoint) did not answer the \(what) (\(reason)): it may or may not have been applied; read it back before trying again")
                    }
                    onlyUnreachable = false
                    failures.append((endpoint, reason))
                case .server(let status, let code, let message):
                    guard Self.isUnavailable(code: code, message: message, retry: retry) else {
                        throw Self.refusal(endpoint: endpoint, what: what, status: status, code: code, message: message)
                    }
                    onlyUnreachable = false
                    failures.append((endpoint, message))
                }
            }
            index += 1
            if index % endpoints.count == 0 {
                round += 1
                if onlyUnreachable, round >= Self.unreachableRounds { break }
                let pause = min(0.05 * Double(round), 0.25)
                if Monotonic.now + pause >= deadline { break }
                usleep(UInt32(pause * 1_000_000))
            }
            if Monotonic.now >= deadline { break }
        }
        throw Self.exhausted(what: what, failures: failures, onlyUnreachable: onlyUnreachable, timeout: settings.requestTimeout)
    }

    /// Waits (until `deadline`) while `endpoint` has no leader or follows
    /// one whose endpoint is among `avoiding`. Returns at once if it cannot
    /// tell (the attempt itself will then fail or succeed on its own).
    private func waitForLiveLeader(at endpoint: EtcdEndpoint, avoiding: Set<EtcdEndpoint>, deadline: Double) {
        while Monotonic.now < deadline {
            let askBy = min(deadline, Monotonic.now + settings.connectTimeout)
            guard let status: EtcdStatus = ask("/v3/maintenance/status", of: endpoint, by: askBy) else { return }
            if status.leader != 0 {
                guard let leaderEndpoints = endpoints(ofMember: status.leader, asking: endpoint, by: askBy) else { return }
                if !leaderEndpoints.contains(where: avoiding.contains) { return }
            }
            usleep(50_000)
        }
    }

    /// A member's client endpoints, from member list (asked once, then kept).
    private func endpoints(ofMember id: UInt64, asking endpoint: EtcdEndpoint, by deadline: Double) -> [EtcdEndpoint]? {
        if let known = memberEndpoints.withLock({ $0[id] }) { return known }
        guard let list: EtcdMemberList = ask("/v3/cluster/member/list", of: endpoint, by: deadline) else { return nil }
        let known = Dictionary(list.members.map { ($0.id, $0.clientURLs.compactMap { try? EtcdEndpoint(parsing: $0) }) }, uniquingKeysWith: { first, _ in first })
        memberEndpoints.withLock { $0 = known }
        return known[id]
    }

    /// One question to one member, no failover; nil if it did not answer.
    private func ask<Answer: Decodable>(_ path: String, of endpoint: EtcdEndpoint, by deadline: Double) -> Answer? {
        guard let answer = try? GatewayRequest.post(path, body: Array("{}".utf8), to: endpoint, tls: tls, connectBy: deadline, deadline: deadline) else { return nil }
        return try? EtcdJSON.decoder.decode(Answer.self, from: Data(answer))
    }

    /// Whether another member may serve it: no leader (nothing was
    /// proposed), or, for a request that changes nothing, unavailable or
    /// timed out there.
    static func isUnavailable(code: Int, message: String, retry: Retry) -> Bool {
        if message.contains("no leader") || message.contains("too many requests") || message.contains("not capable") { return true }
        return retry == .idempotent && (code == 14 || code == 4)
    }

    static func refusal(endpoint: EtcdEndpoint, what: String, status: Int, code: Int, message: String) -> EtcdError {
        if message.contains("lease not found") {
            return EtcdError(.leaseNotFound, "etcd: the lease of the \(what) has expired or was revoked (\(message)): take a new lease")
        }
        if message.contains("compacted") {
            return EtcdError(.compacted(revision: 0), "etcd at \(endpoint) refused the \(what): \(message): read the current state (a snapshot) instead of history")
        }
        if code == 4 || code == 14 {
            return EtcdError(.outcomeUnknown, "etcd at \(endpoint) gave up on the \(what) (\(message)): it may or may not have been applied; read it back before trying again")
        }
        return EtcdError(.rejected(code: code), "etcd at \(endpoint) refused the \(what) (HTTP \(status), gRPC code \(code)): \(message)")
    }

    static func exhausted(what: String, failures: [(EtcdEndpoint, String)], onlyUnreachable: Bool, timeout: Double) -> EtcdError {
        // One line per endpoint, the last reason each gave.
        var last: [EtcdEndpoint: String] = [:]
        var order: [EtcdEndpoint] = []
        for (endpoint, reason) in failures {
            if last[endpoint] == nil { order.append(endpoint) }
            last[endpoint] = reason
        }
        let detail = order.map { "\($0) (\(last[$0] ?? ""))" }.joined(separator: ", ")
        if onlyUnreachable {
            return EtcdError(.unreachable, "cannot reach etcd at \(detail) for the \(what): is etcd running, and are these its client addresses? (VFLEET_ETCD_ENDPOINTS)")
        }
        if failures.contains(where: { $0.1.contains("no leader") }) {
            return EtcdError(.unreachable, "etcd has no leader for the \(what) within \(timeout) s: \(detail): a majority of the members must be up to elect one (the cluster has lost its quorum)")
        }
        return EtcdError(.unreachable, "no etcd member served the \(what) within \(timeout) s: \(detail): check the members' health (etcdctl endpoint health)")
    }

    static func describe(_ range: EtcdKeyRange) -> String {
        let key = String(decoding: range.key, as: UTF8.self)
        if range.end.isEmpty { return key }
        if range.end == EtcdKeyRange.prefix(range.key).end { return "\(key)*" }
        return "[\(key), \(String(decoding: range.end, as: UTF8.self)))"
    }
}
