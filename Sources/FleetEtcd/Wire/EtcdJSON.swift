import Foundation

/// The gateway's JSON: keys and values are base64 (Foundation's default for
/// `Data`), 64-bit numbers travel as strings, zero values are left out.
enum EtcdJSON {
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    static var decoder: JSONDecoder { JSONDecoder() }

    static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        // Encoding our own request structs (strings, Data, numbers) cannot fail.
        (try? Array(encoder.encode(value))) ?? Array("{}".utf8)
    }
}
