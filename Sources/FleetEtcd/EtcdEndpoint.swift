import Foundation

/// One etcd member's client address, as `host:port` (an `http://` prefix is
/// accepted and dropped; `https://` asks for TLS, which needs `EtcdTLSFiles`).
public struct EtcdEndpoint: Sendable, Hashable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `127.0.0.1:2379`, `http://etcd1:2379` or `[::1]:2379`.
    public init(parsing text: String) throws(EtcdError) {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        for scheme in ["http://", "https://"] where rest.hasPrefix(scheme) {
            rest = rest.dropFirst(scheme.count)
        }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        let host: Substring
        let portText: Substring
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            portText = after.hasPrefix(":") ? after.dropFirst() : ""
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
            portText = ""
        }
        guard !host.isEmpty, let port = Int(portText), (1...65535).contains(port) else {
            throw EtcdError(.invalidArgument, "bad etcd endpoint '\(text)': write it as HOST:PORT, e.g. 127.0.0.1:2379 (VFLEET_ETCD_ENDPOINTS)")
        }
        self.init(host: String(host), port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
