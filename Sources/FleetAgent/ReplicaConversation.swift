import FleetTreeStream

/// The byte stream one sync's conversation (ReplicaWire) runs on: a direct
/// transfer's TLS session (TransferSession), or the agent's own RPC channel
/// when the controller relays the sync (RelayedConversation). Both ends of
/// a sync run the same code over either, so a relayed sync keeps every
/// guarantee of a direct one: the same freeze, digest and commit.
protocol ReplicaConversation: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws(TransferRefusal)
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(TransferRefusal) -> Int
}

extension TransferSession: ReplicaConversation {}

struct ConversationSink: ByteSink {
    let conversation: any ReplicaConversation
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws { try conversation.write(bytes) }
}

struct ConversationSource: ByteSource {
    let conversation: any ReplicaConversation
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int { try conversation.read(into: buffer) }
}
