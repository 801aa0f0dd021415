import FleetProtocol
import FleetSSH
import Foundation
import Synchronization

/// One host's agent, reached by one SSH session with one long-lived
/// `vfleet-agent rpc` channel: each call is a request line and a response
/// line, under a timeout. Calls are serialised; one client per host.
public final class AgentClient: Sendable {
    public let hostName: String
    public let endpoint: SSHEndpoint
    let session: SSHSession
    /// The call channel; holding it is what serialises the calls.
    private let channel: Mutex<AgentChannel>
    public let hello: HelloResult
    public let callTimeout: Double

    /// The remote command; with the controller's key the forced command
    /// replaces it anyway.
    public static let agentCommand = "vfleet-agent rpc"

    public init(hostName: String, endpoint: SSHEndpoint, policy: HostKeyPolicy = .strict,
                connectTimeout: Double = 5, callTimeout: Double = 60) throws(FleetError) {
        self.hostName = hostName
        self.endpoint = endpoint
        self.callTimeout = callTimeout
        let ch: AgentChannel
        do {
            session = try SSHSession(endpoint: endpoint, options: SSHOptions(connectTimeout: connectTimeout, policy: policy))
            ch = AgentChannel(host: hostName, ssh: try session.exec(Self.agentCommand))
        } catch {
            throw AgentChannel.unreachable(hostName, endpoint, error)
        }
        hello = try ch.handshake(timeout: callTimeout)
        channel = Mutex(ch)
    }

    /// Calls `method`; agent errors come back as the agent's FleetError with
    /// the host's name in front.
    public func call<M: AgentMethod>(_ method: M, timeout: Double? = nil) throws(FleetError) -> M.Result {
        let timeout = timeout ?? callTimeout
        return try channel.withLock { ch throws(FleetError) in try ch.call(method, timeout: timeout) }
    }

    /// One call as text (the connection keeper passes the answer on
    /// unparsed; its caller decodes it once, into its type).
    func callLine(_ method: String, paramsJSON: String, timeout: Double) throws(FleetError) -> String {
        try channel.withLock { ch throws(FleetError) in try ch.exchange(method, paramsJSON: paramsJSON, timeout: timeout) }
    }

    /// The same, unless the agent's end of the call channel had closed
    /// before the request (its agent killed, restarted or upgraded while
    /// the session was kept): then nil, and nothing was sent.
    func callUnlessEnded<M: AgentMethod>(_ method: M, timeout: Double? = nil) throws(FleetError) -> M.Result? {
        let timeout = timeout ?? callTimeout
        return try channel.withLock { ch throws(FleetError) -> M.Result? in
            if ch.ssh.isEOF { return nil }
            return try ch.call(method, timeout: timeout)
        }
    }

    /// ``callLine`` unless the channel had ended (see ``callUnlessEnded``).
    func callLineUnlessEnded(_ method: String, paramsJSON: String, timeout: Double) throws(FleetError) -> String? {
        try channel.withLock { ch throws(FleetError) -> String? in
            if ch.ssh.isEOF { return nil }
            return try ch.exchange(method, paramsJSON: paramsJSON, timeout: timeout)
        }
    }

    /// Whether the SSH session still stands (a cut connection shows here).
    public var isConnected: Bool { session.isConnected }

    /// A second channel on the same session, for bulk data (template
    /// archives, guest layers), greeted without facts.
    func openBulkChannel() throws(FleetError) -> AgentChannel {
        let ch: AgentChannel
        do { ch = AgentChannel(host: hostName, ssh: try session.exec(Self.agentCommand)) } catch {
            throw AgentChannel.unreachable(hostName, endpoint, error)
        }
        do { _ = try ch.handshake(timeout: callTimeout, facts: false) } catch {
            ch.close()
            throw error
        }
        return ch
    }

    public func close() {
        channel.withLock { $0.close() }
        session.close()
    }
}
