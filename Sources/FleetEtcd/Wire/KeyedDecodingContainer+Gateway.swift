import Foundation

/// Decoding the gateway's JSON: protobuf's JSON mapping writes 64-bit
/// integers as strings and leaves out fields holding their zero value.
extension KeyedDecodingContainer {
    func int64(_ key: Key) throws -> Int64 {
        if let text = try? decodeIfPresent(String.self, forKey: key) {
            guard let value = Int64(text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not a 64-bit integer: '\(text)'")
            }
            return value
        }
        return try decodeIfPresent(Int64.self, forKey: key) ?? 0
    }

    /// An unsigned 64-bit id (member and cluster ids use the whole range).
    func uint64(_ key: Key) throws -> UInt64 {
        if let text = try? decodeIfPresent(String.self, forKey: key) {
            guard let value = UInt64(text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not an unsigned 64-bit integer: '\(text)'")
            }
            return value
        }
        return try decodeIfPresent(UInt64.self, forKey: key) ?? 0
    }

    func bytes(_ key: Key) throws -> Data { try decodeIfPresent(Data.self, forKey: key) ?? Data() }
    func flag(_ key: Key) throws -> Bool { try decodeIfPresent(Bool.self, forKey: key) ?? false }
    func list<T: Decodable>(_ key: Key) throws -> [T] { try decodeIfPresent([T].self, forKey: key) ?? [] }
}
