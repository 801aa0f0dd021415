import FleetProtocol
import Foundation
import Synchronization

/// Calls through the connection keeper (ConnectionKeeper, reached by a
/// KeeperLink) when one serves; when it does not answer, this process goes
/// on with sessions of its own (`direct`) and may start a keeper for the
/// commands after it. Bulk streams always go direct: the keeper relays
/// lines, not streams.
public final class KeeperTransport: AgentTransport {
    public let direct: SSHTransport
    private let link = Mutex<KeeperLink?>(nil)
    private let starter = Mutex<(@Sendable () -> Void)?>(nil)

    public init(direct: SSHTransport) { self.direct = direct }

    /// The keeper's socket, when this process uses one (set by the command
    /// line; see ConnectionKeeper).
    public var keeper: KeeperLink? {
        get { link.withLock { $0 } }
        set { link.withLock { $0 = newValue } }
    }

    /// Starts a keeper in the background (set by the command line, which
    /// knows its own executable); called when the keeper did not answer.
    public var startKeeper: (@Sendable () -> Void)? {
        get { starter.withLock { $0 } }
        set { starter.withLock { $0 = newValue } }
    }

    /// Starts the keeper once, for the commands after this one; this one
    /// goes on with sessions of its own.
    func kickKeeper() {
        starter.withLock { s in
            defer { s = nil }
            return s
        }?()
    }

    public func call<M: AgentMethod>(_ method: M, on host: StoredHost, timeout: Double?) throws(FleetError) -> M.Result {
        let timeout = timeout ?? direct.settings.callTimeout
        guard let k = keeper else {
            kickKeeper()
            return try direct.call(method, on: host, timeout: timeout)
        }
        let line = KeeperLink.requestLine(host: host.name, method: M.name, paramsJSON: try AgentChannel.json(method.params), timeout: timeout)
        switch k.exchange(line, timeout: timeout) {
        case .answered(let answer):
            return try TypedRPCResponse<M.Result>.decode(Data(answer.utf8), host: host.name, method: M.name)
        case .lost:
            throw FleetError(.unreachable, "host \(host.name): the connection keeper (\(k.socketPath)) took \(M.name) and gave no answer; it may have ended (check with `vfleet guest show` or retry)")
        case .unavailable:
            keeper = nil
            kickKeeper()
            return try direct.call(method, on: host, timeout: timeout)
        }
    }

    public func greet(_ hosts: [StoredHost], maxParallel: Int, timeout: Double) -> [Result<HelloResult, FleetError>] {
        if let k = keeper {
            // Lines made here, only the waiting in parallel.
            let params = (try? AgentChannel.json(HelloParams(client: "vfleet-controller"))) ?? "{}"
            let lines = hosts.map { KeeperLink.requestLine(host: $0.name, method: RPC.Hello.name, paramsJSON: params, timeout: timeout) }
            let raw = parallelMap(lines, maxParallel: maxParallel) { k.exchange($0, timeout: timeout) }
            if raw.allSatisfy({ if case .unavailable = $0 { return false } else { return true } }) {
                return zip(hosts, raw).map { host, r in
                    if case .answered(let line) = r { return GreetAnswer.decode(.success(.line(line)), host: host.name) }
                    return .failure(FleetError(.unreachable, "host \(host.name): the connection keeper took hello and gave no answer"))
                }
            }
            // It ended meanwhile (hello is harmless to repeat): ask directly.
            keeper = nil
        }
        return direct.greet(hosts, maxParallel: maxParallel, timeout: timeout) { [self] in kickKeeper() }
    }

    public func sendTemplate(_ template: StoredTemplate, to host: StoredHost) throws(FleetError) {
        try direct.sendTemplate(template, to: host)
    }

    public func copyTemplateDirectly(_ template: StoredTemplate, from sender: StoredHost, to destination: StoredHost) throws(FleetError) -> DirectTemplateOutcome {
        try direct.copyTemplateDirectly(template, from: sender, to: destination)
    }

    public func openLayerCopy(from source: StoredHost, to destination: StoredHost) throws(FleetError) -> any LayerCopy {
        try direct.openLayerCopy(from: source, to: destination)
    }

    public func openLayerCopy(from source: StoredHost, to destination: StoredHost, mode: LayerTransportMode) throws(FleetError) -> any LayerCopy {
        try direct.openLayerCopy(from: source, to: destination, mode: mode)
    }

    public func relayReplicaSync(_ guest: String, transfer: String, from source: StoredHost, to standby: StoredHost,
                                 timeout: Double) throws(FleetError) -> (sent: ReplicaSyncResult, point: ReplicaPoint) {
        try direct.relayReplicaSync(guest, transfer: transfer, from: source, to: standby, timeout: timeout)
    }
}
