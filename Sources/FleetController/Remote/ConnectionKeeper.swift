import FleetProtocol
import Foundation
import Glibc
import Synchronization

/// Holds one SSH session per host for the controller's short-lived
/// commands, like OpenSSH's ControlPersist: a `vfleet` command asks the
/// keeper over a Unix socket, and the keeper makes the agent call on a
/// session it keeps. Without it, every command pays, per host, an SSH
/// handshake, a login and an agent process start; with it a call is one
/// request line on a warm channel. It serves the store's hosts only, with
/// the controller's own identity and known_hosts (strict), and ends after
/// `ssh.persist` seconds without a call. Bulk transfers (template pushes,
/// moves) do not go through it: they open their own channels.
public final class ConnectionKeeper: Sendable {
    let store: FleetStore
    let settings: ControllerSettings
    let connections: SSHTransport
    let socketPath: String
    private let state = Mutex(Usage())

    /// What the connection threads and the accept loop share.
    private struct Usage {
        var lastCall = Date()
        /// Connections open now.
        var busy = 0
        var calls = 0
        var stopping = false
    }

    public init(databasePath: String, settings: ControllerSettings) throws(FleetError) {
        store = try FleetStore(path: databasePath)
        self.settings = settings
        connections = SSHTransport(settings: settings)
        socketPath = Self.socketPath(database: databasePath, settings: settings)
    }

    /// Next to the store; one keeper per store, identity and known_hosts.
    public static func socketPath(database: String, settings: ControllerSettings) -> String {
        let dir = (database as NSString).deletingLastPathComponent
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in "\(database)\u{0}\(settings.identityFile)\u{0}\(settings.knownHostsFile)".utf8 {
            hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3
        }
        return (dir.isEmpty ? "." : dir) + "/.vfleet-keeper-" + String(hash & 0xffff_ffff, radix: 16) + ".sock"
    }

    /// Serves until `persistSeconds` pass without a call (or a stop).
    /// Returns at once when another keeper already serves this socket.
    public func serve() throws(FleetError) {
        // One keeper per socket: the lock file is held for its whole life.
        let lockFD = open(socketPath + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lockFD >= 0 else { throw .failed("cannot open \(socketPath).lock: \(String(cString: strerror(errno)))") }
        defer { close(lockFD) }
        guard flock(lockFD, LOCK_EX | LOCK_NB) == 0 else { return }
        let listener = try UnixSocket.listen(at: socketPath)
        defer {
            unlink(socketPath)
            connections.closeAll()
        }
        while true {
            if let client = listener.accept(timeout: 0.5) {
                begin()
                let t = Thread { [self] in
                    serve(client)
                    end()
                }
                t.start()
            }
            let persist = settings.persistSeconds
            if state.withLock({ $0.stopping || ($0.busy == 0 && Date().timeIntervalSince($0.lastCall) > persist) }) { return }
        }
    }

    /// A connection came: the keeper stays while it is open. Only calls
    /// count as use (a `status` does not keep the keeper alive, and shows
    /// the real idle time).
    private func begin() {
        state.withLock { $0.busy += 1 }
    }

    private func end() {
        state.withLock { $0.busy -= 1 }
    }

    private func used() {
        state.withLock { $0.lastCall = Date() }
    }

    private func serve(_ client: UnixSocket) {
        while let line = client.readLine(timeout: settings.callTimeout + 600) {
            guard let request = try? JSONDecoder().decode(KeeperRequest.self, from: Data(line.utf8)) else {
                _ = client.writeLine(RPCResponse(id: nil, error: .invalid("connection keeper: malformed request")).line())
                return
            }
            if let control = request.control {
                _ = client.writeLine(answer(control))
                continue
            }
            state.withLock { $0.calls += 1 }
            used()
            let answer = call(request)
            used()
            _ = client.writeLine(answer)
        }
    }

    private func answer(_ control: String) -> String {
        switch control {
        case "stop":
            state.withLock { $0.stopping = true }
            return #"{"stopping":true}"#
        default:
            let (idle, calls) = state.withLock { (Date().timeIntervalSince($0.lastCall), $0.calls) }
            let status = KeeperStatus(pid: getpid(), socket: socketPath, database: store.path, persistSeconds: settings.persistSeconds,
                                      idleSeconds: idle, calls: calls, hosts: connections.connectedHosts())
            let data = (try? JSONEncoder().encode(status)) ?? Data("{}".utf8)
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// The agent's response line, or an error response of the keeper's own.
    private func call(_ request: KeeperRequest) -> String {
        guard let name = request.host, let method = request.method else {
            return RPCResponse(id: nil, error: .invalid("connection keeper: a call needs host and method")).line()
        }
        do throws(FleetError) {
            // The store is read on every call: a host removed or moved to a
            // new address is never served from a stale session.
            let host = try store.hostWithoutFacts(name)
            return try connections.callKept(host, method, paramsJSON: request.params ?? "{}", timeout: request.timeout ?? settings.callTimeout)
        } catch {
            return RPCResponse(id: nil, error: error).line()
        }
    }
}
