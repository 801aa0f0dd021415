import Foundation

/// The newest snapshot of the fleet: a replica's SQLite file as of log
/// entry `seq`, in `chunks` values under the snapshot's own id.
struct SnapshotManifest: Codable, Equatable {
    let id: String
    let seq: Int64
    let bytes: Int
    let chunks: Int
    let sha256: String
    let takenAt: Double
}
