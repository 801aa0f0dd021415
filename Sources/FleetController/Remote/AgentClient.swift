import FleetProtocol
import FleetSSH
import Foundation

/// One host's agent, reached by one SSH session with one long-lived
/// `vfleet-agent rpc` channel: each call is a request line and a response
/// line, under a timeout. Calls are serialised; one client per host.
public final class AgentClient: @unchecked Sendable {
    public let hostName: String
    public let endpoint: SSHEndpoint
    let session: SSHSession
    private let channel: SSHChannel
    private let lock = NSLock()
    private var nextId = 1
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
        do {
            session = try SSHSession(endpoint: endpoint, options: SSHOptions(connectTimeout: connectTimeout, policy: policy))
            channel = try session.exec(Self.agentCommand)
        } catch {
            throw Self.unreachable(hostName, endpoint, error)
        }
        hello = try Self.handshake(channel: channel, host: hostName, timeout: callTimeout)
        nextId = 2
    }

    static func handshake(channel: SSHChannel, host: String, timeout: Double, facts: Bool = true) throws(FleetError) -> HelloResult {
        let response = try exchange(channel: channel, host: host, id: 1, method: RPCMethod.hello,
                                    params: try JSONValue.encoding(HelloParams(client: "vfleet-controller", facts: facts ? nil : false)), timeout: timeout)
        return try decode(response, as: HelloResult.self, host: host, method: RPCMethod.hello)
    }

    /// Calls `method`; agent errors come back as the agent's FleetError with
    /// the host's name in front.
    public func call<P: Encodable, R: Decodable>(_ method: String, _ params: P, as type: R.Type, timeout: Double? = nil) throws(FleetError) -> R {
        let line = try callLine(method, paramsJSON: try Self.json(params), timeout: timeout ?? callTimeout)
        return try Self.decodeLine(line, as: R.self, host: hostName, method: method)
    }

    /// One call as text: the request is built around `paramsJSON`, the
    /// response line comes back as the agent wrote it (the connection keeper
    /// passes it on unparsed; the caller decodes it once, into its type).
    func callLine(_ method: String, paramsJSON: String, timeout: Double) throws(FleetError) -> String {
        guard method.allSatisfy({ $0.isASCII && ($0.isLetter || $0 == "." || $0 == "-") }) else {
            throw .invalid("host \(hostName): \"\(method)\" is not a method name")
        }
        lock.lock()
        defer { lock.unlock() }
        let id = nextId
        nextId += 1
        let request = "{\"id\":\(id),\"method\":\"\(method)\",\"params\":\(paramsJSON)}\n"
        do {
            try channel.write(Data(request.utf8))
            guard let line = try channel.readLine(timeout: timeout) else {
                throw FleetError(.unreachable, "host \(hostName): the agent closed the connection during \(method) (is vfleet-agent installed and the forced command right?)")
            }
            // The agent writes sorted keys: the id leads a result and ends an
            // error. Anything else is a late answer to another request.
            guard line.hasPrefix("{\"id\":\(id),") || line.hasSuffix("\"id\":\(id)}") else {
                throw FleetError(.unreachable, "host \(hostName): the answer to \(method) is not for request \(id): \(line.prefix(120)) (the session is dropped)")
            }
            return line
        } catch let e as FleetError {
            throw e
        } catch let e as SSHError {
            if e.kind == .timeout {
                throw FleetError(.unreachable, "host \(hostName): no answer to \(method) within \(Int(timeout)) s (the agent may be stuck; retry, or check the host)")
            }
            throw FleetError(.unreachable, "host \(hostName): \(method) failed: \(e.message)")
        } catch {
            throw FleetError(.unreachable, "host \(hostName): \(method) failed: \(error)")
        }
    }

    static func json<P: Encodable>(_ params: P) throws(FleetError) -> String {
        guard let data = try? RPCCoding.encoder.encode(params) else { throw .failed("cannot encode the parameters") }
        return String(decoding: data, as: UTF8.self)
    }

    /// Decodes a response line straight into `R` (one pass).
    static func decodeLine<R: Decodable>(_ line: String, as type: R.Type, host: String, method: String) throws(FleetError) -> R {
        let response: TypedRPCResponse<R>
        do { response = try RPCCoding.decoder.decode(TypedRPCResponse<R>.self, from: Data(line.utf8)) } catch {
            throw .failed("host \(host): cannot read the agent's answer to \(method): \(error) (agent and controller versions differ?)")
        }
        if let error = response.error {
            let code = FleetError.Code(rawValue: error.code) ?? .failed
            throw FleetError(code, "host \(host): \(error.message)")
        }
        if let result = response.result { return result }
        // A result of null (or none) decodes only into optional types.
        do { return try RPCCoding.decoder.decode(R.self, from: Data("null".utf8)) } catch {
            throw .failed("host \(host): the agent answered \(method) with no result")
        }
    }

    static func exchange(channel: SSHChannel, host: String, id: Int, method: String, params: JSONValue, timeout: Double) throws(FleetError) -> RPCResponse {
        let request = RPCRequest(id: .number(id), method: method, params: params)
        guard let data = try? RPCCoding.encoder.encode(request) else { throw .failed("cannot encode \(method) for host \(host)") }
        do {
            try channel.write(data + Data([10]))
            guard let line = try channel.readLine(timeout: timeout) else {
                throw FleetError(.unreachable, "host \(host): the agent closed the connection during \(method) (is vfleet-agent installed and the forced command right?)")
            }
            guard let response = try? RPCCoding.decoder.decode(RPCResponse.self, from: Data(line.utf8)) else {
                throw FleetError.failed("host \(host): the agent answered \(method) with something that is not a response: \(line.prefix(200))")
            }
            guard response.id == .number(id) else {
                throw FleetError.failed("host \(host): response to \(method) carries id \(String(describing: response.id)), expected \(id)")
            }
            return response
        } catch let e as FleetError {
            throw e
        } catch let e as SSHError {
            if e.kind == .timeout {
                throw FleetError(.unreachable, "host \(host): no answer to \(method) within \(Int(timeout)) s (the agent may be stuck; retry, or check the host)")
            }
            throw FleetError(.unreachable, "host \(host): \(method) failed: \(e.message)")
        } catch {
            throw FleetError(.unreachable, "host \(host): \(method) failed: \(error)")
        }
    }

    static func decode<R: Decodable>(_ response: RPCResponse, as type: R.Type, host: String, method: String) throws(FleetError) -> R {
        if let error = response.error {
            let code = FleetError.Code(rawValue: error.code) ?? .failed
            throw FleetError(code, "host \(host): \(error.message)")
        }
        do { return try (response.result ?? .null).decode(R.self) } catch {
            throw .failed("host \(host): cannot read the agent's answer to \(method): \(error) (agent and controller versions differ?)")
        }
    }

    static func unreachable(_ host: String, _ endpoint: SSHEndpoint, _ error: any Error) -> FleetError {
        if let e = error as? SSHError {
            return FleetError(.unreachable, "host \(host) (\(endpoint.host):\(endpoint.port)) is unreachable: \(e.message)")
        }
        return FleetError(.unreachable, "host \(host) (\(endpoint.host):\(endpoint.port)) is unreachable: \(error)")
    }

    /// Whether the SSH session still stands (a cut connection shows here).
    public var isConnected: Bool { session.isConnected }

    /// A second channel on the same session, for bulk data (template archives).
    func openBulkChannel() throws(FleetError) -> SSHChannel {
        do {
            let ch = try session.exec(Self.agentCommand)
            _ = try Self.handshake(channel: ch, host: hostName, timeout: callTimeout, facts: false)
            return ch
        } catch let e as FleetError {
            throw e
        } catch {
            throw Self.unreachable(hostName, endpoint, error)
        }
    }

    public func close() {
        lock.lock()
        defer { lock.unlock() }
        channel.close()
        session.close()
    }
}

extension JSONValue {
    static func encoding<T: Encodable>(_ value: T) throws(FleetError) -> JSONValue {
        do { return try JSONValue.from(value) } catch { throw .failed("cannot encode request: \(error)") }
    }
}
