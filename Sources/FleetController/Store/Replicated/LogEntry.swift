import Foundation

/// One entry of the fleet's log in etcd: a write's changeset, with a nonce
/// that tells the writer its own entry from another's when it reads the
/// log back after etcd did not answer.
struct LogEntry: Equatable {
    static let magic: [UInt8] = Array("VFL1".utf8)
    let nonce: UUID
    let changeset: Data

    init(nonce: UUID = UUID(), changeset: Data) {
        self.nonce = nonce
        self.changeset = changeset
    }

    var encoded: Data {
        var bytes = Data(Self.magic)
        withUnsafeBytes(of: nonce.uuid) { bytes.append(contentsOf: $0) }
        bytes.append(changeset)
        return bytes
    }

    init(decoding data: Data, seq: Int64) throws(ReplicaFailure) {
        let bytes = [UInt8](data)
        guard bytes.count >= 20, Array(bytes[0..<4]) == Self.magic else {
            throw .diverged(seq: seq, detail: "the entry is not a vfleet log entry (\(bytes.count) bytes, no VFL1 header): is another program writing under this key prefix?")
        }
        var uuid: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &uuid) { $0.copyBytes(from: bytes[4..<20]) }
        nonce = UUID(uuid: uuid)
        changeset = Data(bytes[20...])
    }
}
