import FleetProtocol
import FleetSSH
import Foundation
import Synchronization

/// The direct transport: one SSH session per host for the life of a
/// controller process, made on first use and reused by every later call;
/// bulk streams get channels of their own on the same session.
public final class SSHTransport: AgentTransport {
    private let clients = Mutex<[String: AgentClient]>([:])
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
        let wanted = endpoint(of: host)
        // A session that died (a cut connection) is replaced, not reused;
        // so is one to where the host no longer is (re-enrolled with another
        // address, port, user or key: the keeper lives long).
        let (kept, stale) = clients.withLock { all -> (AgentClient?, AgentClient?) in
            guard let c = all[host.name] else { return (nil, nil) }
            if c.isConnected && c.endpoint == wanted { return (c, nil) }
            all[host.name] = nil
            return (nil, c)
        }
        if let kept { return (kept, false) }
        stale?.close()
        let c = try AgentClient(hostName: host.name, endpoint: wanted, policy: .strict,
                                connectTimeout: settings.connectTimeout, callTimeout: settings.callTimeout)
        let existing = clients.withLock { all -> AgentClient? in
            if let existing = all[host.name] { return existing }
            all[host.name] = c
            return nil
        }
        if let existing {
            c.close()
            return (existing, false)
        }
        return (c, true)
    }

    /// Meets a host being enrolled: connects (trusting a new host key only
    /// when told to, which then lands in known_hosts), says hello, and
    /// closes again; the session is not kept for a host not yet in the store.
    public func enrol(_ name: String, at endpoint: SSHEndpoint, acceptNewHostKey: Bool) throws(FleetError) -> (hello: HelloResult, hostKeyFingerprint: String) {
        let client = try AgentClient(hostName: name, endpoint: endpoint, policy: acceptNewHostKey ? .acceptNew : .strict,
                                     connectTimeout: settings.connectTimeout, callTimeout: settings.callTimeout)
        defer { client.close() }
        return (client.hello, client.session.hostKeyFingerprint)
    }

    /// Drops a broken connection so the next call reconnects.
    public func discard(_ hostName: String) {
        clients.withLock { $0.removeValue(forKey: hostName) }?.close()
    }

    /// A kept session whose agent has gone (killed, restarted, upgraded)
    /// is found out before the request leaves, and the call goes on a fresh
    /// one: a rollback after an agent was killed must not fail on the
    /// corpse of its channel. A call that was sent is never sent again.
    public func call<M: AgentMethod>(_ method: M, on host: StoredHost, timeout: Double?) throws(FleetError) -> M.Result {
        let timeout = timeout ?? settings.callTimeout
        do {
            if let answer = try client(for: host).callUnlessEnded(method, timeout: timeout) { return answer }
            discard(host.name)
            return try client(for: host).call(method, timeout: timeout)
        } catch {
            if error.code == .unreachable { discard(host.name) }
            throw error
        }
    }

    /// A call whose answer line is left to the caller to decode.
    func callLine(_ host: StoredHost, _ method: String, paramsJSON: String, timeout: Double) throws(FleetError) -> String {
        do {
            if let answer = try client(for: host).callLineUnlessEnded(method, paramsJSON: paramsJSON, timeout: timeout) { return answer }
            discard(host.name)
            return try client(for: host).callLine(method, paramsJSON: paramsJSON, timeout: timeout)
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

    public func greet(_ hosts: [StoredHost], maxParallel: Int, timeout: Double) -> [Result<HelloResult, FleetError>] {
        greet(hosts, maxParallel: maxParallel, timeout: timeout, beforeEach: {})
    }

    /// Hello to each host; the threads only wait, the answers are decoded
    /// here one after another: threads decoding at once would each make the
    /// Swift runtime scan its conformance tables for the same types (it does
    /// not share a lookup in progress), which cost more than the decoding.
    func greet(_ hosts: [StoredHost], maxParallel: Int, timeout: Double,
               beforeEach: @escaping @Sendable () -> Void) -> [Result<HelloResult, FleetError>] {
        let params = (try? AgentChannel.json(HelloParams(client: "vfleet-controller"))) ?? "{}"
        let answers = parallelMap(hosts, maxParallel: maxParallel) { [self] host -> Result<GreetAnswer, FleetError> in
            do throws(FleetError) {
                beforeEach()
                // A connection made just now said hello already: its facts are fresh.
                let (client, connected) = try clientNoting(host)
                if connected { return .success(.hello(client.hello)) }
                return .success(.line(try callLine(host, RPC.Hello.name, paramsJSON: params, timeout: timeout)))
            } catch {
                return .failure(error)
            }
        }
        return zip(hosts, answers).map { host, answer in GreetAnswer.decode(answer, host: host.name) }
    }

    public func sendTemplate(_ template: StoredTemplate, to host: StoredHost) throws(FleetError) {
        let channel = try client(for: host).openBulkChannel()
        defer { channel.close() }
        try TemplateUpload.send(template, on: channel, callTimeout: settings.callTimeout)
    }

    public func openLayerCopy(from source: StoredHost, to destination: StoredHost) throws(FleetError) -> any LayerCopy {
        try openLayerCopy(from: source, to: destination, mode: .relay)
    }

    public func copyTemplateDirectly(_ template: StoredTemplate, from sender: StoredHost, to destination: StoredHost) throws(FleetError) -> DirectTemplateOutcome {
        let (out, into) = try openBulkPair(sender, destination)
        defer {
            out.close()
            into.close()
        }
        let (from, to) = Self.transferAddresses(sender, out, destination, into)
        return try DirectTemplateCopy(senderAddress: from, destinationAddress: to)
            .copy(template, sender: out, destination: into, timeout: settings.callTimeout)
    }

    public func openLayerCopy(from source: StoredHost, to destination: StoredHost, mode: LayerTransportMode) throws(FleetError) -> any LayerCopy {
        let (out, into) = try openBulkPair(source, destination)
        let (from, to) = Self.transferAddresses(source, out, destination, into)
        return SSHLayerCopy(source: out, destination: into, timeout: settings.callTimeout,
                            direct: mode == .relay ? nil : DirectLayerCopy(sourceAddress: from, destinationAddress: to,
                                                                           fallback: mode == .auto))
    }

    public func relayReplicaSync(_ guest: String, transfer: String, from source: StoredHost, to standby: StoredHost,
                                 timeout: Double) throws(FleetError) -> (sent: ReplicaSyncResult, point: ReplicaPoint) {
        let (out, into) = try openBulkPair(source, standby)
        defer {
            out.close()
            into.close()
        }
        let (_, standbyAddress) = Self.transferAddresses(source, out, standby, into)
        return try ReplicaRelay.sync(guest, transfer: transfer, standbyAddress: standbyAddress, source: out, standby: into, timeout: timeout)
    }

    /// A host enrolled by name: the agents bind and check numeric
    /// addresses, those this controller's sessions reached.
    private static func transferAddresses(_ a: StoredHost, _ toA: AgentChannel, _ b: StoredHost, _ toB: AgentChannel) -> (String, String) {
        (TransferAddress.numeric(a.address, reached: toA.ssh.peerAddress), TransferAddress.numeric(b.address, reached: toB.ssh.peerAddress))
    }

    /// A bulk channel to each of two hosts; each end may need a new SSH
    /// session, so the two handshakes overlap.
    private func openBulkPair(_ a: StoredHost, _ b: StoredHost) throws(FleetError) -> (AgentChannel, AgentChannel) {
        let opened = parallelMap([a, b], maxParallel: 2) { [self] host -> Result<AgentChannel, FleetError> in
            do throws(FleetError) { return .success(try client(for: host).openBulkChannel()) } catch { return .failure(error) }
        }
        switch (opened[0], opened[1]) {
        case (.success(let first), .success(let second)): return (first, second)
        case (.failure(let e), let other), (let other, .failure(let e)):
            if case .success(let ch) = other { ch.close() }
            throw e
        }
    }

    /// Hosts with an open session.
    func connectedHosts() -> [String] {
        clients.withLock { all in all.filter { $0.value.isConnected }.map(\.key).sorted() }
    }

    public func closeAll() {
        let all = clients.withLock { all in
            defer { all = [:] }
            return Array(all.values)
        }
        for c in all { c.close() }
    }

    deinit { closeAll() }
}

/// A hello answered: by a fresh connection's handshake, or as a line.
enum GreetAnswer: Sendable {
    case hello(HelloResult)
    case line(String)

    static func decode(_ answer: Result<GreetAnswer, FleetError>, host: String) -> Result<HelloResult, FleetError> {
        switch answer {
        case .success(.hello(let hello)): return .success(hello)
        case .success(.line(let line)):
            do throws(FleetError) {
                return .success(try TypedRPCResponse<HelloResult>.decode(Data(line.utf8), host: host, method: RPC.Hello.name))
            } catch { return .failure(error) }
        case .failure(let e): return .failure(e)
        }
    }
}
