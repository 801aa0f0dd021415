import Foundation

/// A request id: whatever the client sent, echoed in the response.
public enum RPCId: Codable, Hashable, Sendable {
    case number(Int)
    case string(String)

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(Int.self) { self = .number(n) } else { self = .string(try c.decode(String.self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .number(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        }
    }
}

/// One request line: `{"id":1,"method":"guest.start","params":{"name":"web1"}}`.
public struct RPCRequest: Codable, Sendable, Equatable {
    public var id: RPCId?
    public var method: String
    public var params: JSONValue?

    public init(id: RPCId?, method: String, params: JSONValue? = nil) {
        self.id = id
        self.method = method
        self.params = params
    }

    static let fields: Set<String> = ["id", "method", "params"]

    /// Parses one line; every fault becomes a FleetError that names it, and
    /// the id is recovered when possible so the error can be answered.
    public static func parse(_ line: String) -> Result<RPCRequest, RPCRequestFault> {
        guard let value = try? RPCCoding.decoder.decode(JSONValue.self, from: Data(line.utf8)) else {
            return .failure(RPCRequestFault(id: nil, error: FleetError(.invalidArgument, "malformed request: not a JSON object on one line")))
        }
        guard case .object(let object) = value else {
            return .failure(RPCRequestFault(id: nil, error: FleetError(.invalidArgument, "malformed request: expected a JSON object")))
        }
        let id: RPCId? = switch object["id"] {
        case .number(let n)? where n == n.rounded(): .number(Int(n))
        case .string(let s)?: .string(s)
        default: nil
        }
        if let unknown = object.keys.filter({ !fields.contains($0) }).sorted().first {
            return .failure(RPCRequestFault(id: id, error: FleetError(.invalidArgument, "malformed request: unknown field \"\(unknown)\" (allowed: id, method, params)")))
        }
        guard case .string(let method)? = object["method"] else {
            return .failure(RPCRequestFault(id: id, error: FleetError(.invalidArgument, "malformed request: \"method\" must be a string")))
        }
        if let p = object["params"], p != .null {
            guard case .object = p else {
                return .failure(RPCRequestFault(id: id, error: FleetError(.invalidArgument, "malformed request: \"params\" must be an object")))
            }
        }
        return .success(RPCRequest(id: id, method: method, params: object["params"]))
    }
}

/// A request that could not be parsed, with its id when it had one.
public struct RPCRequestFault: Error, Sendable {
    public var id: RPCId?
    public var error: FleetError
}

public struct RPCErrorObject: Codable, Sendable, Equatable {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

/// One response line: `{"id":1,"result":{…}}` or `{"id":1,"error":{"code":…,"message":…}}`.
public struct RPCResponse: Codable, Sendable, Equatable {
    public var id: RPCId?
    public var result: JSONValue?
    public var error: RPCErrorObject?

    public init(id: RPCId?, result: JSONValue) {
        self.id = id
        self.result = result
        self.error = nil
    }

    public init(id: RPCId?, error: FleetError) {
        self.id = id
        self.result = nil
        self.error = RPCErrorObject(code: error.code.rawValue, message: error.message)
    }

    /// The response as one line of JSON, without the newline.
    public func line() -> String {
        let data = (try? RPCCoding.encoder.encode(self)) ?? Data(#"{"error":{"code":"failed","message":"cannot encode response"}}"#.utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

/// A result on its way out, encoded once: the agent writes `{"id":…,"result":…}`
/// straight from the typed value, the same bytes as an RPCResponse, without
/// the detour through a JSONValue tree.
public struct EncodedResult: Encodable, Sendable {
    public let value: any Encodable & Sendable
    public init(_ value: any Encodable & Sendable) { self.value = value }
    public func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}

public struct RPCResultLine: Encodable, Sendable {
    public var id: RPCId?
    public var result: EncodedResult

    public init(id: RPCId?, result: EncodedResult) {
        self.id = id
        self.result = result
    }

    /// The response as one line of JSON, without the newline.
    public func line() throws(FleetError) -> String {
        do { return String(decoding: try RPCCoding.encoder.encode(self), as: UTF8.self) } catch {
            throw .failed("cannot encode result: \(error)")
        }
    }
}

/// A response decoded straight into the expected result type (one pass,
/// no JSONValue tree in between).
public struct TypedRPCResponse<R: Decodable>: Decodable {
    public var id: RPCId?
    public var result: R?
    public var error: RPCErrorObject?
}
