import FleetProtocol
import FleetSSH
import Foundation

/// One agent connection per host for the life of a controller process,
/// made on first use and reused by every later call.
public final class AgentConnections: @unchecked Sendable {
    private let lock = NSLock()
    private var clients: [String: AgentClient] = [:]
    public let settings: ControllerSettings

    public init(settings: ControllerSettings) {
        self.settings = settings
    }

    public func endpoint(of host: StoredHost) -> SSHEndpoint {
        SSHEndpoint(host: host.address, port: host.port, user: host.user, identityFile: host.identityFile,
                    knownHostsFile: settings.knownHostsFile)
    }

    /// The host's client, connecting if needed.
    public func client(for host: StoredHost) throws(FleetError) -> AgentClient {
        try clientNoting(host).client
    }

    /// The host's client, and whether this call made the connection (then
    /// its hello is as fresh as a new one would be).
    public func clientNoting(_ host: StoredHost) throws(FleetError) -> (client: AgentClient, connected: Bool) {
        lock.lock()
        if let c = clients[host.name] {
            // A session that died (a cut connection) is replaced, not reused.
            if c.isConnected {
                lock.unlock()
                return (c, false)
            }
            clients[host.name] = nil
            lock.unlock()
            c.close()
        } else {
            lock.unlock()
        }
        let c = try AgentClient(hostName: host.name, endpoint: endpoint(of: host), policy: .strict,
                                connectTimeout: settings.connectTimeout, callTimeout: settings.callTimeout)
        lock.lock()
        defer { lock.unlock() }
        if let existing = clients[host.name] {
            c.close()
            return (existing, false)
        }
        clients[host.name] = c
        return (c, true)
    }

    /// Drops a broken connection so the next call reconnects.
    public func discard(_ hostName: String) {
        lock.lock()
        let c = clients.removeValue(forKey: hostName)
        lock.unlock()
        c?.close()
    }

    public func call<P: Encodable, R: Decodable>(_ host: StoredHost, _ method: String, _ params: P, as type: R.Type,
                                                  timeout: Double? = nil) throws(FleetError) -> R {
        let c = try client(for: host)
        do {
            return try c.call(method, params, as: type, timeout: timeout)
        } catch {
            if error.code == .unreachable { discard(host.name) }
            throw error
        }
    }

    public func closeAll() {
        lock.lock()
        let all = clients.values
        clients = [:]
        lock.unlock()
        for c in all { c.close() }
    }

    deinit { closeAll() }
}

/// Runs `body` for every item on at most `maxParallel` threads (GCD worker
/// threads, not Swift's cooperative pool: libssh calls block), and returns
/// the results in the input's order.
public func parallelMap<T: Sendable, R: Sendable>(_ items: [T], maxParallel: Int, _ body: @escaping @Sendable (T) -> R) -> [R] {
    let results = ResultBox<R>(count: items.count)
    let semaphore = DispatchSemaphore(value: max(1, maxParallel))
    let group = DispatchGroup()
    for (i, item) in items.enumerated() {
        semaphore.wait()
        group.enter()
        DispatchQueue.global().async {
            results.set(i, body(item))
            semaphore.signal()
            group.leave()
        }
    }
    group.wait()
    return results.values()
}

final class ResultBox<R>: @unchecked Sendable {
    private var storage: [R?]
    private let lock = NSLock()
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: R) {
        lock.lock()
        storage[i] = value
        lock.unlock()
    }
    func values() -> [R] { storage.map { $0! } }
}
