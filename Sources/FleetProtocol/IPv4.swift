/// An IPv4 address as a host-order number, parsed strictly (four decimal
/// octets, no leading zeros that would read as octal elsewhere).
public struct IPv4Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard (1...3).contains(p.count), p.allSatisfy({ $0.isASCII && $0.isNumber }),
                  !(p.count > 1 && p.first == "0"), let octet = UInt32(p), octet <= 255 else { return nil }
            v = v << 8 | octet
        }
        value = v
    }

    public var description: String {
        "\(value >> 24).\(value >> 16 & 255).\(value >> 8 & 255).\(value & 255)"
    }

    public var isLoopback: Bool { value >> 24 == 127 }
    public var isUnspecified: Bool { value == 0 }
    public var isMulticastOrReserved: Bool { value >> 28 >= 14 }

    public static func < (a: IPv4Address, b: IPv4Address) -> Bool { a.value < b.value }
}

/// An address with its prefix length: "10.0.0.5/24" (an interface address)
/// or "10.0.0.0/24" (a subnet).
public struct IPv4CIDR: Hashable, Sendable, CustomStringConvertible {
    public let address: IPv4Address
    public let prefix: Int

    public init(address: IPv4Address, prefix: Int) {
        self.address = address
        self.prefix = prefix
    }

    /// Parses "A/P", or "A" with `defaultPrefix`.
    public init?(_ text: String, defaultPrefix: Int? = nil) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2, let a = IPv4Address(String(parts[0])) else { return nil }
        if parts.count == 2 {
            guard let p = Int(parts[1]), (0...32).contains(p), parts[1].allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            prefix = p
        } else {
            guard let d = defaultPrefix else { return nil }
            prefix = d
        }
        address = a
    }

    public var description: String { "\(address)/\(prefix)" }

    public var mask: UInt32 { prefix == 0 ? 0 : UInt32.max << UInt32(32 - prefix) }
    public var network: IPv4Address { IPv4Address(address.value & mask) }
    public var broadcast: IPv4Address { IPv4Address(address.value | ~mask) }
    public var size: UInt64 { UInt64(1) << UInt64(32 - prefix) }

    public func contains(_ a: IPv4Address) -> Bool { a.value & mask == address.value & mask }

    /// The addresses a pool may hand out: all but the network and broadcast
    /// addresses (for prefixes up to /30).
    public var assignable: ClosedRange<UInt32>? {
        if prefix >= 31 { return network.value...broadcast.value }
        guard broadcast.value - network.value >= 2 else { return nil }
        return (network.value + 1)...(broadcast.value - 1)
    }
}
