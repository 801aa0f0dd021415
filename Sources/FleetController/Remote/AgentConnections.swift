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
            // A session that died (a cut connection) is replaced, not reused;
            // so is one to where the host no longer is (re-enrolled with
            // another address, port, user or key: the keeper lives long).
            if c.isConnected && c.endpoint == endpoint(of: host) {
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

    /// The connection keeper's socket, when this process uses one (set by
    /// the command line; see ConnectionKeeper). Calls go through it; when it
    /// fails to answer, this process falls back to sessions of its own.
    public var keeper: KeeperLink? {
        get { lock.lock(); defer { lock.unlock() }; return keeperLink }
        set { lock.lock(); keeperLink = newValue; lock.unlock() }
    }
    private var keeperLink: KeeperLink?

    /// Starts a keeper in the background (set by the command line, which
    /// knows its own executable); called when the keeper did not answer.
    public var startKeeper: (@Sendable () -> Void)? {
        get { lock.lock(); defer { lock.unlock() }; return keeperStarter }
        set { lock.lock(); keeperStarter = newValue; lock.unlock() }
    }
    private var keeperStarter: (@Sendable () -> Void)?

    /// Starts the keeper once, for the commands after this one; this one
    /// goes on with sessions of its own.
    func kickKeeper() {
        lock.lock()
        let starter = keeperStarter
        keeperStarter = nil
        lock.unlock()
        starter?()
    }

    public func call<P: Encodable, R: Decodable>(_ host: StoredHost, _ method: String, _ params: P, as type: R.Type,
                                                  timeout: Double? = nil) throws(FleetError) -> R {
        let line = try callLine(host, method, paramsJSON: try AgentClient.json(params), timeout: timeout ?? settings.callTimeout)
        return try AgentClient.decodeLine(line, as: R.self, host: host.name, method: method)
    }

    /// A call whose response line is left to the caller to decode: through
    /// the keeper when there is one, else on this process's own session.
    public func callLine(_ host: StoredHost, _ method: String, paramsJSON: String, timeout: Double) throws(FleetError) -> String {
        if let k = keeper {
            switch k.exchange(KeeperLink.requestLine(host: host.name, method: method, paramsJSON: paramsJSON, timeout: timeout), timeout: timeout) {
            case .answered(let line):
                return line
            case .lost:
                throw FleetError(.unreachable, "host \(host.name): the connection keeper (\(k.socketPath)) took \(method) and gave no answer; it may have ended (check with `vfleet guest show` or retry)")
            case .unavailable:
                keeper = nil
                kickKeeper()
            }
        } else {
            kickKeeper()
        }
        let c = try client(for: host)
        do {
            return try c.callLine(method, paramsJSON: paramsJSON, timeout: timeout)
        } catch {
            if error.code == .unreachable { discard(host.name) }
            throw error
        }
    }

    /// The keeper's side: the agent's answer as it came. A session found
    /// dead on a kept connection gets one fresh attempt; a host that cannot
    /// be reached at all does not (the connect timeout stays what it says).
    func callKept(_ host: StoredHost, _ method: String, paramsJSON: String, timeout: Double) throws(FleetError) -> String {
        let (c, fresh) = try clientNoting(host)
        do {
            return try c.callLine(method, paramsJSON: paramsJSON, timeout: timeout)
        } catch where error.code == .unreachable {
            discard(host.name)
            if fresh { throw error }
            return try client(for: host).callLine(method, paramsJSON: paramsJSON, timeout: timeout)
        }
    }

    /// Hosts with an open session.
    func connectedHosts() -> [String] {
        lock.lock()
        defer { lock.unlock() }
        return clients.filter { $0.value.isConnected }.map(\.key).sorted()
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
