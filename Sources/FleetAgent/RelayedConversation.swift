import FleetTreeStream
import Glibc

/// A sync's conversation over this agent's RPC channel, which the
/// controller relays to the other host's (replica.relay-send and
/// replica.relay-receive). Each write goes out at once as one chunk,
/// [u32 big-endian length][bytes], so that a message the peer waits for is
/// never held back; reads take the peer's chunks. A zero length ends a
/// direction: `finish` writes this side's end and reads the other side's
/// stream to its end, so the response line that follows stays in step.
final class RelayedConversation: ReplicaConversation {
    private var input: ChunkedReader<InputByteSource>
    private var output = FDSink(fd: 1)
    private var ended = false

    init(input: InputReader) {
        self.input = ChunkedReader(InputByteSource(reader: input))
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(TransferRefusal) {
        // A zero length would end the stream; an empty write sends nothing.
        guard bytes.count > 0 else { return }
        guard !ended else { throw TransferRefusal("the relayed sync's stream was already ended") }
        let n = UInt32(bytes.count)
        let header: [UInt8] = [UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)]
        do {
            try header.withUnsafeBytes { try output.write($0) }
            try output.write(bytes)
        } catch { throw TransferRefusal("cannot write to the controller's relay: \(error)") }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(TransferRefusal) -> Int {
        do { return try input.read(into: buffer) } catch { throw TransferRefusal("the controller's relay ended early: \(error)") }
    }

    /// Ends this side's stream and reads the peer's to its end chunk; false
    /// when the input ended without it (the channel is then out of step).
    func finish() -> Bool {
        if !ended {
            ended = true
            var end: [UInt8] = [0, 0, 0, 0]
            do { try end.withUnsafeBytes { try output.write($0) } } catch { return false }
            end.removeAll()
        }
        var scratch = [UInt8](repeating: 0, count: 65536)
        while true {
            guard let n = try? scratch.withUnsafeMutableBytes({ try input.read(into: $0) }) else { return false }
            if n == 0 { return input.finished }
        }
    }
}
