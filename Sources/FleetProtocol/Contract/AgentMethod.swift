import Foundation

/// One agent RPC method as a type: its wire name (stated once, here),
/// the params it sends and the result it gets back. The controller calls
/// `transport.call(RPC.GuestStart(name: "web1"), on: host)` and the compiler
/// pairs the request with its answer; the agent's dispatcher registers a
/// handler per type in `RPC.methods`, so a method cannot exist on one side
/// only (FleetAgentTests checks both directions).
public protocol AgentMethod: Sendable {
    associatedtype Params: RPCParams
    associatedtype Result: Codable & Sendable
    /// The wire name, e.g. "guest.start".
    static var name: String { get }
    /// A raw stream follows the request or the response line on the same
    /// channel (docs/PROTOCOL.md, bulk methods).
    static var isBulk: Bool { get }
    var params: Params { get }
}

extension AgentMethod {
    public static var isBulk: Bool { false }
}

/// The result of methods that answer `{}`.
public struct EmptyResult: Codable, Sendable, Equatable {
    public init() {}
}

/// Only the id of a response, read without regard to key order.
public struct RPCResponseId: Decodable, Sendable {
    public var id: RPCId?
}

extension TypedRPCResponse {
    /// The result, or the agent's error as a FleetError with the host in
    /// front. A result of null (or none) decodes only into optional types.
    public func value(host: String, method: String) throws(FleetError) -> R {
        if let error {
            throw FleetError(FleetError.Code(rawValue: error.code) ?? .failed, "host \(host): \(error.message)")
        }
        if let result { return result }
        do { return try RPCCoding.decoder.decode(R.self, from: Data("null".utf8)) } catch {
            throw .failed("host \(host): the agent answered \(method) with no result")
        }
    }

    /// Decodes a response line straight into `R` (one pass, no JSONValue tree).
    public static func decode(_ line: some DataProtocol, host: String, method: String) throws(FleetError) -> R {
        let response: TypedRPCResponse<R>
        do { response = try RPCCoding.decoder.decode(TypedRPCResponse<R>.self, from: Data(line)) } catch {
            throw .failed("host \(host): cannot read the agent's answer to \(method): \(error) (agent and controller versions differ?)")
        }
        return try response.value(host: host, method: method)
    }
}
