import Foundation

/// Which keys a request covers: one key, a prefix, or [key, end).
public struct EtcdKeyRange: Sendable, Equatable {
    public let key: Data
    /// Empty for the one key.
    public let end: Data

    public init(key: Data, end: Data = Data()) {
        self.key = key
        self.end = end
    }

    public static func key(_ key: String) -> EtcdKeyRange { EtcdKeyRange(key: Data(key.utf8)) }

    /// Every key starting with `prefix`: the end is the prefix with its last
    /// byte below 0xff incremented (and what follows dropped); "\0" (every
    /// key) for a prefix of 0xff bytes or none.
    public static func prefix(_ prefix: String) -> EtcdKeyRange { Self.prefix(Data(prefix.utf8)) }

    public static func prefix(_ prefix: Data) -> EtcdKeyRange {
        var end = [UInt8](prefix)
        while let last = end.last {
            if last < 0xff {
                end[end.count - 1] = last + 1
                return EtcdKeyRange(key: prefix, end: Data(end))
            }
            end.removeLast()
        }
        return EtcdKeyRange(key: prefix.isEmpty ? Data([0]) : prefix, end: Data([0]))
    }
}
