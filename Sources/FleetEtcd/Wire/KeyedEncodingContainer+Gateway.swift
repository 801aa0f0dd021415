import Foundation

/// Encoding for the gateway: 64-bit integers as strings (what protobuf's
/// JSON mapping expects; a JSON number loses precision past 2^53), zero
/// values left out.
extension KeyedEncodingContainer {
    mutating func encodeInt64(_ value: Int64, forKey key: Key) throws {
        if value != 0 { try encode(String(value), forKey: key) }
    }

    mutating func encodeBytes(_ value: Data, forKey key: Key) throws {
        if !value.isEmpty { try encode(value, forKey: key) }
    }

    mutating func encodeFlag(_ value: Bool, forKey key: Key) throws {
        if value { try encode(true, forKey: key) }
    }
}
