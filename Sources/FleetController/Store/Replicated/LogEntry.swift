import Foundation

/// One entry of the fleet's log in etcd: a write's changeset, or a schema
/// migration every replica runs at that point of the log (`vfleet db
/// upgrade`), with a nonce that tells the writer its own entry from
/// another's when it reads the log back after etcd did not answer.
struct LogEntry: Equatable {
    static let magic: [UInt8] = Array("VFL1".utf8)
    static let migrationMagic: [UInt8] = Array("VFM1".utf8)
    let nonce: UUID
    let changeset: Data
    /// A migration entry: the store's migrations up to this one (by its
    /// identifier) are run by every replica when it applies the entry.
    let migrationTarget: String?

    init(nonce: UUID = UUID(), changeset: Data) {
        self.nonce = nonce
        self.changeset = changeset
        migrationTarget = nil
    }

    init(nonce: UUID = UUID(), migrationTo target: String) {
        self.nonce = nonce
        changeset = Data()
        migrationTarget = target
    }

    var encoded: Data {
        var bytes = Data(migrationTarget == nil ? Self.magic : Self.migrationMagic)
        withUnsafeBytes(of: nonce.uuid) { bytes.append(contentsOf: $0) }
        bytes.append(migrationTarget.map { Data($0.utf8) } ?? changeset)
        return bytes
    }

    init(decoding data: Data, seq: Int64) throws(ReplicaFailure) {
        let bytes = [UInt8](data)
        let header = bytes.count >= 20 ? Array(bytes[0..<4]) : []
        guard header == Self.magic || header == Self.migrationMagic else {
            throw .diverged(seq: seq, detail: "the entry is not a vfleet log entry (\(bytes.count) bytes, no VFL1 or VFM1 header): is another program writing under this key prefix?")
        }
        var uuid: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &uuid) { $0.copyBytes(from: bytes[4..<20]) }
        nonce = UUID(uuid: uuid)
        if header == Self.migrationMagic {
            changeset = Data()
            migrationTarget = String(decoding: bytes[20...], as: UTF8.self)
        } else {
            changeset = Data(bytes[20...])
            migrationTarget = nil
        }
    }
}
