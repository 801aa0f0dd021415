import FleetProtocol
import FleetTree
import FleetTreeStream
import Foundation

/// What a sync's connection carries after the transfer's header, each part
/// framed by ChunkedWriter (so each has its own end and nothing is read
/// past it):
///
///   standby → source   base: the current point's manifest (JSON)
///   source → standby   tree stream: what differs from the base (guest running)
///   source → standby   tree stream: what differs since that (guest frozen)
///   source → standby   trailer: digest as frozen, spec, times (JSON)
///   standby → source   the committed point (JSON), or an error (JSON)
enum ReplicaWire {
    /// A manifest of a very big layer passes this; the sync then fails and says so.
    static let maximumMessageBytes = 256 << 20

    struct Base: Codable {
        var point: Int?
        var manifest: [TreeManifestEntry]
    }

    struct Trailer: Codable {
        var digest: String
        var fileCount: Int
        var totalBytes: UInt64
        var takenAt: Double
        var frozenSeconds: Double
        var spec: GuestSpec
    }

    /// The standby's last word: the point, or why it failed.
    struct Outcome: Codable {
        var point: ReplicaPoint?
        var error: String?
    }

    static func send<T: Encodable>(_ value: T, over session: any ReplicaConversation, what: String) throws(FleetError) {
        let data: Data
        do { data = try JSONEncoder().encode(value) } catch { throw .failed("cannot encode the sync's \(what): \(error)") }
        var sink = ChunkedWriter(ConversationSink(conversation: session))
        do {
            try data.withUnsafeBytes { try sink.write($0) }
            try sink.finish()
        } catch { throw FleetError(.unreachable, "cannot send the sync's \(what): \(error)") }
    }

    static func receive<T: Decodable>(_ type: T.Type, over session: any ReplicaConversation, what: String) throws(FleetError) -> T {
        var source = ChunkedReader(ConversationSource(conversation: session))
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        do {
            while true {
                let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
                if n == 0 { break }
                bytes.append(contentsOf: buffer[0..<n])
                guard bytes.count <= maximumMessageBytes else {
                    throw FleetError.failed("the sync's \(what) passed \(maximumMessageBytes >> 20) MiB")
                }
            }
        } catch let error as FleetError { throw error } catch { throw FleetError(.unreachable, "cannot read the sync's \(what): \(error)") }
        do { return try JSONDecoder().decode(T.self, from: Data(bytes)) } catch {
            throw .failed("the sync's \(what) is not valid (\(bytes.count) bytes): \(error)")
        }
    }
}
