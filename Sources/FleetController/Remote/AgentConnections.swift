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

/// Runs `body` for every item on at most `maxParallel` threads of its own
/// and returns the results in the input's order. Not GCD: these calls block
/// (libssh), and nested blocking work on GCD's pool starves it — GCD adds a
/// thread about once a second then, which made every step of parallel moves
/// wait in one-second steps.
public func parallelMap<T: Sendable, R: Sendable>(_ items: [T], maxParallel: Int, _ body: @escaping @Sendable (T) -> R) -> [R] {
    if items.count <= 1 || maxParallel <= 1 { return items.map(body) }
    let results = ResultBox<R>(count: items.count)
    let next = ResultBox<Int>(count: 1)
    next.set(0, 0)
    let workers = min(maxParallel, items.count)
    let done = DispatchSemaphore(value: 0)
    for _ in 0..<workers {
        let thread = Thread {
            while let i = next.claim(below: items.count) {
                results.set(i, body(items[i]))
            }
            done.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    for _ in 0..<workers { done.wait() }
    return results.values()
}

final class ResultBox<R>: @unchecked Sendable {
    fileprivate var storage: [R?]
    fileprivate let lock = NSLock()
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: R) {
        lock.lock()
        storage[i] = value
        lock.unlock()
    }
    func values() -> [R] { storage.map { $0! } }
}

extension ResultBox where R == Int {
    /// Takes the next index to work on, or nil when all are taken.
    func claim(below count: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        let i = storage[0]!
        guard i < count else { return nil }
        storage[0] = i + 1
        return i
    }
}
