import FleetProtocol
import FleetSSH
import Foundation
import Synchronization

/// Relays a chunked layer stream ([u32 big-endian length][bytes]…, zero
/// length ends it) from one agent's channel to another's: hosts never talk to
/// each other, and need not trust each other. Reads never go past the end
/// chunk, so the source's response line stays on its channel. Reading from
/// the source and writing to the destination run on two threads with a
/// bounded queue between them, so that neither hop waits for the other.
enum LayerRelay {
    static let queueBytes = 8 << 20
    /// File data relayed by this process since it started: a direct
    /// transfer adds nothing (the tests check that none of a guest's bytes
    /// passed through the controller).
    static let relayedBytes = Atomic<UInt64>(0)

    static func relay(from source: SSHChannel, to destination: SSHChannel, sourceHost: String, destinationHost: String,
                      timeout: Double, progress: (UInt64) -> Void) throws(FleetError) -> UInt64 {
        let queue = RelayQueue(capacity: queueBytes)
        let writeError = WriteOutcome()
        let writer = Thread {
            defer { writeError.finish() }
            while let data = queue.pop() {
                do throws(SSHError) { try destination.write(data) } catch {
                    writeError.set(AgentChannel.fault(error, host: destinationHost, doing: "writing the guest's layer", timeout: nil))
                    queue.fail()
                    return
                }
            }
        }
        writer.start()
        let total: UInt64
        do {
            total = try read(from: source, into: queue, sourceHost: sourceHost, timeout: timeout, progress: progress)
        } catch {
            // What is queued will not be wanted: the move fails and its
            // channels are dropped.
            queue.abandon()
            writeError.wait()
            throw writeError.error ?? error
        }
        queue.close()
        writeError.wait()
        if let e = writeError.error { throw e }
        return total
    }

    private static func read(from source: SSHChannel, into queue: RelayQueue, sourceHost: String, timeout: Double,
                             progress: (UInt64) -> Void) throws(FleetError) -> UInt64 {
        var header = Data()
        var remaining = 0
        var total: UInt64 = 0
        while true {
            let want = remaining > 0 ? min(remaining, 256 * 1024) : 4 - header.count
            let data: Data
            do { data = try source.read(max: want, timeout: timeout) } catch {
                throw AgentChannel.fault(error, host: sourceHost, doing: "reading the guest's layer", timeout: nil)
            }
            if data.isEmpty { throw FleetError(.unreachable, "host \(sourceHost) closed the layer stream early") }
            // A failed writer has its own error; reading on would only wait.
            guard queue.push(data) else { throw FleetError(.unreachable, "the destination stopped taking the layer") }
            if remaining > 0 {
                remaining -= data.count
                total += UInt64(data.count)
                relayedBytes.add(UInt64(data.count), ordering: .relaxed)
                progress(total)
                continue
            }
            header.append(data)
            if header.count < 4 { continue }
            let length = header.reduce(0) { $0 << 8 | Int($1) }
            header.removeAll()
            if length == 0 { return total }
            remaining = length
        }
    }
}

/// The writer thread's end: done, and the error if it failed.
private final class WriteOutcome: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let failure = Mutex<FleetError?>(nil)

    var error: FleetError? { failure.withLock { $0 } }

    func set(_ e: FleetError) {
        failure.withLock { $0 = e }
    }

    func finish() { done.signal() }

    /// Returns once the writer ended (also to a second caller).
    func wait() {
        done.wait()
        done.signal()
    }
}
