import FleetSystem
import Foundation

/// Calls and failover: which member a request goes to, and when it may go
/// to the next one (docs/ARCHITECTURE.md, FleetEtcd).
extension EtcdClient {
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
        var attempts = 0
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
            attempts += 1
            if attempts % endpoints.count == 0 {
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
    fileprivate func waitForLiveLeader(at endpoint: EtcdEndpoint, avoiding: Set<EtcdEndpoint>, deadline: Double) {
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
    fileprivate func endpoints(ofMember id: UInt64, asking endpoint: EtcdEndpoint, by deadline: Double) -> [EtcdEndpoint]? {
        if let known = memberEndpoints.withLock({ $0[id] }) { return known }
        guard let list: EtcdMemberList = ask("/v3/cluster/member/list", of: endpoint, by: deadline) else { return nil }
        let known = Dictionary(list.members.map { ($0.id, $0.clientURLs.compactMap { try? EtcdEndpoint(parsing: $0) }) }, uniquingKeysWith: { first, _ in first })
        memberEndpoints.withLock { $0 = known }
        return known[id]
    }

    /// One question to one member, no failover; nil if it did not answer.
    fileprivate func ask<Answer: Decodable>(_ path: String, of endpoint: EtcdEndpoint, by deadline: Double) -> Answer? {
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
        if message.contains("request is too large") || message.contains("larger than max") {
            return EtcdError(.rejected(code: code), "etcd at \(endpoint) refused the \(what): \(message): a request may carry at most etcd's --max-request-bytes (1.5 MiB by default); write large values in chunks under separate keys")
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
}
