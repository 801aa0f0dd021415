extension RPC {
    /// Any line method sent with a fence: the same wire name and result,
    /// the params with one more key, "fence" (docs/PROTOCOL.md, fencing).
    /// The agent checks the fence and takes the key out before the method's
    /// own strict decoding sees its params.
    public struct Fenced<M: AgentMethod>: AgentMethod {
        public typealias Result = M.Result
        public static var name: String { M.name }
        public static var isBulk: Bool { M.isBulk }
        public let method: M
        public var params: FencedParams<M.Params>

        public init(_ method: M, fence: Fence) {
            self.method = method
            params = FencedParams(inner: method.params, fence: fence)
        }
    }
}

/// Lets code that sees `any AgentMethod` (a fake transport in tests) find
/// the unfenced call and its fence.
public protocol FencedAgentMethod: AgentMethod {
    var fence: Fence { get }
    var unfenced: any AgentMethod { get }
}

extension RPC.Fenced: FencedAgentMethod {
    public var fence: Fence { params.fence }
    public var unfenced: any AgentMethod { method }
}

/// A method's params with the fence beside them, in one JSON object.
public struct FencedParams<P: RPCParams>: RPCParams {
    public static var fields: Set<String> { P.fields.union([Fence.paramKey]) }
    public var inner: P
    public var fence: Fence

    public init(inner: P, fence: Fence) {
        self.inner = inner
        self.fence = fence
    }

    private enum Key: String, CodingKey { case fence }

    public init(from decoder: any Decoder) throws {
        inner = try P(from: decoder)
        fence = try decoder.container(keyedBy: Key.self).decode(Fence.self, forKey: .fence)
    }

    public func encode(to encoder: any Encoder) throws {
        // Both write into the one object at this level.
        try inner.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(fence, forKey: .fence)
    }
}
