import FleetProtocol
import FleetSSH
import Foundation
import Synchronization

/// One `vfleet-agent rpc` channel. The only place where the controller
/// frames a request line, matches the answer to it by id, and turns an SSH
/// fault into a FleetError; the call channel (AgentClient), the bulk
/// channels of template pushes and moves, and the keeper all go through it.
/// Its owner serialises the calls (AgentClient holds it in a Mutex; a bulk
/// channel has one user).
final class AgentChannel: Sendable {
    let host: String
    let ssh: SSHChannel
    private let nextId = Atomic<Int>(1)

    init(host: String, ssh: SSHChannel) {
        self.host = host
        self.ssh = ssh
    }

    /// Says hello, as every channel must first.
    func handshake(timeout: Double, facts: Bool = true) throws(FleetError) -> HelloResult {
        try call(RPC.Hello(HelloParams(client: "vfleet-controller", facts: facts ? nil : false)), timeout: timeout)
    }

    /// One typed call: the request and its answer, decoded once.
    func call<M: AgentMethod>(_ method: M, timeout: Double) throws(FleetError) -> M.Result {
        let id = try send(method)
        return try TypedRPCResponse<M.Result>.decode(Data(try receive(M.name, id: id, timeout: timeout).utf8), host: host, method: M.name)
    }

    /// Sends a typed request; a bulk method's stream is then the caller's.
    @discardableResult
    func send<M: AgentMethod>(_ method: M) throws(FleetError) -> Int {
        try send(M.name, paramsJSON: try Self.json(method.params))
    }

    /// Reads the answer to a typed request sent with `send`.
    func result<M: AgentMethod>(of method: M.Type, id: Int, timeout: Double) throws(FleetError) -> M.Result {
        try TypedRPCResponse<M.Result>.decode(Data(try receive(M.name, id: id, timeout: timeout).utf8), host: host, method: M.name)
    }

    /// One call as text (the keeper relays lines it does not parse): the
    /// answer line as the agent wrote it, checked to be for this request.
    func exchange(_ method: String, paramsJSON: String, timeout: Double) throws(FleetError) -> String {
        let id = try send(method, paramsJSON: paramsJSON)
        return try receive(method, id: id, timeout: timeout)
    }

    /// The request line `{"id":N,"method":"…","params":…}`: the framing.
    private func send(_ method: String, paramsJSON: String) throws(FleetError) -> Int {
        guard !method.isEmpty, method.allSatisfy({ $0.isASCII && ($0.isLetter || $0 == "." || $0 == "-") }) else {
            throw .invalid("host \(host): \"\(method)\" is not a method name")
        }
        let id = nextId.add(1, ordering: .relaxed).oldValue
        let line = "{\"id\":\(id),\"method\":\"\(method)\",\"params\":\(paramsJSON)}\n"
        do { try ssh.write(Data(line.utf8)) } catch { throw Self.fault(error, host: host, doing: method, timeout: nil) }
        return id
    }

    /// The next line, which must answer request `id`: its id is decoded as
    /// a value, whatever the order of the keys.
    private func receive(_ method: String, id: Int, timeout: Double) throws(FleetError) -> String {
        let read: String?
        do { read = try ssh.readLine(timeout: timeout) } catch { throw Self.fault(error, host: host, doing: method, timeout: timeout) }
        return try Self.answer(read, to: method, id: id, host: host)
    }

    /// The line read after request `id`, if it is the answer to it.
    static func answer(_ read: String?, to method: String, id: Int, host: String) throws(FleetError) -> String {
        guard let line = read else {
            throw FleetError(.unreachable, "host \(host): the agent closed the connection during \(method) (is vfleet-agent installed and the forced command right?)")
        }
        guard let envelope = try? RPCCoding.decoder.decode(RPCResponseId.self, from: Data(line.utf8)) else {
            throw FleetError(.unreachable, "host \(host): the agent answered \(method) with something that is not a response: \(line.prefix(120)) (the session is dropped)")
        }
        guard envelope.id == .number(id) else {
            throw FleetError(.unreachable, "host \(host): the answer to \(method) is not for request \(id): \(line.prefix(120)) (the session is dropped)")
        }
        return line
    }

    func close() { ssh.close() }

    static func json<P: Encodable>(_ params: P) throws(FleetError) -> String {
        guard let data = try? RPCCoding.encoder.encode(params) else { throw .failed("cannot encode the parameters") }
        return String(decoding: data, as: UTF8.self)
    }

    /// An SSH fault during `doing` on `host`, in the operator's terms.
    static func fault(_ error: SSHError, host: String, doing: String, timeout: Double?) -> FleetError {
        if error.kind == .timeout, let timeout {
            return FleetError(.unreachable, "host \(host): no answer to \(doing) within \(Int(timeout)) s (the agent may be stuck; retry, or check the host)")
        }
        return FleetError(.unreachable, "host \(host): \(doing) failed: \(error.message)")
    }

    /// A host that cannot be reached at all (connect, login, channel).
    static func unreachable(_ host: String, _ endpoint: SSHEndpoint, _ error: any Error) -> FleetError {
        if let e = error as? FleetError { return e }
        if let e = error as? SSHError {
            return FleetError(.unreachable, "host \(host) (\(endpoint.host):\(endpoint.port)) is unreachable: \(e.message)")
        }
        return FleetError(.unreachable, "host \(host) (\(endpoint.host):\(endpoint.port)) is unreachable: \(error)")
    }
}
