import FleetProtocol
import FleetSystem
import FleetTreeStream
import Foundation
import Synchronization

/// The destination's end of one direct transfer: listens on a transfer port
/// of its fleet address and accepts exactly one connection that comes from
/// the expected address, presents the pinned certificate and names the
/// transfer, before the deadline. It applies that connection's stream (into
/// a guest's staging area, or as a template); every other connection is refused before a
/// byte is written, and logged. Closes on completion, failure, deadline or
/// cancel.
final class TransferListener: @unchecked Sendable {
    static let header = "VFT1 "

    let transfer: String
    /// What arrives, for the log: "guest web1", "template busybox".
    let subject: String
    let port: Int
    let identity: TransferIdentity
    private let fd: Int32
    private let sourceAddress: String
    private let sourceFingerprint: [UInt8]
    private let deadline: ContinuousClock.Instant
    private let log: AgentLogFile
    private let receive: @Sendable (TransferSession) -> Result<LayerTransfer, FleetError>
    private let state = Mutex<State>(State())
    private let finished = DispatchSemaphore(value: 0)
    /// Wakes the accept loop's poll when the outcome is in or the wait is
    /// cancelled: transfer.wait answers as soon as the stream is applied,
    /// not at the loop's next poll timeout (up to 200 ms later, twice a move).
    private let wake: (read: Int32, write: Int32)

    private struct State {
        var accepted = false
        /// The accepted connection's session, for progress.
        var session: TransferSession?
        var cancelled = false
        var outcome: Result<LayerTransfer, FleetError>?
        /// The wake pipe is closed (the loop ended): nothing may write to its
        /// descriptor number any more, which may already name another file.
        var wakeClosed = false
    }

    init(transfer: String, subject: String, address: String, ports: ClosedRange<Int>, sourceAddress: String, sourceFingerprint: [UInt8],
         deadlineSeconds: Double, log: AgentLogFile,
         receive: @escaping @Sendable (TransferSession) -> Result<LayerTransfer, FleetError>) throws(FleetError) {
        identity = try TransferIdentity()
        guard let ends = CloexecPipe.make() else {
            throw .failed("transfer.listen: cannot make a pipe: \(String(cString: strerror(errno)))")
        }
        for end in [ends.read, ends.write] { _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK) }
        wake = ends
        do { (fd, port) = try TransferSocket.listen(address: address, ports: ports) } catch {
            close(ends.read)
            close(ends.write)
            throw error
        }
        self.transfer = transfer
        self.subject = subject
        self.sourceAddress = sourceAddress
        self.sourceFingerprint = sourceFingerprint
        self.deadline = .now + .milliseconds(Int(deadlineSeconds * 1000))
        self.log = log
        self.receive = receive
        log.write("transfer \(transfer): listening on \(address) port \(port) for \(subject) from \(sourceAddress) for \(deadlineSeconds) s")
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Waits for the outcome; with `cancel`, a listener that accepted nothing yet stops now.
    func wait(cancel: Bool) -> Result<LayerTransfer, FleetError> {
        if cancel { state.withLock { $0.cancelled = true; Self.signal($0, wake.write) } }
        finished.wait()
        finished.signal()
        return state.withLock { $0.outcome } ?? .failure(.failed("transfer \(transfer) ended without an outcome"))
    }

    /// How far the accepted stream has come (transfer.progress), without waiting.
    func progress() -> TransferProgress {
        state.withLock { TransferProgress(bytes: $0.session?.bytesRead ?? 0, accepted: $0.accepted, ended: $0.outcome != nil) }
    }

    private func acceptLoop() {
        defer {
            close(fd)
            state.withLock {
                $0.wakeClosed = true
                close(wake.read)
                close(wake.write)
            }
            finished.signal()
        }
        while true {
            let (done, accepted, cancelled) = state.withLock { ($0.outcome != nil, $0.accepted, $0.cancelled) }
            if done { return }
            if !accepted && cancelled {
                log.write("transfer \(transfer): cancelled before a connection came; closed port \(port)")
                finish(.failure(.failed("transfer \(transfer) was cancelled before the source connected")))
                return
            }
            if !accepted && ContinuousClock.now >= deadline {
                log.write("transfer \(transfer): deadline passed with no accepted connection; closed port \(port)")
                finish(.failure(FleetError(.unreachable, "no connection for transfer \(transfer) came from \(sourceAddress) to port \(port) before its deadline")))
                return
            }
            var p = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
            guard poll(&p, 2, 200) > 0 else { continue }
            if p[1].revents != 0 {
                var drain = [UInt8](repeating: 0, count: 16)
                _ = read(wake.read, &drain, drain.count)
            }
            guard p[0].revents != 0 else { continue }
            var peer = sockaddr_storage()
            var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let conn = withUnsafeMutablePointer(to: &peer) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(fd, $0, &len) } }
            guard conn >= 0 else { continue }
            _ = fcntl(conn, F_SETFD, FD_CLOEXEC)
            TransferSocket.sendImmediately(conn)
            let from = TransferSocket.text(peer)
            if accepted {
                refuse(conn, from: from, "a second connection for this transfer (one is being received)")
                continue
            }
            if from != sourceAddress {
                refuse(conn, from: from, "not the source's address \(sourceAddress)")
                continue
            }
            if ContinuousClock.now >= deadline {
                refuse(conn, from: from, "the transfer's deadline passed")
                continue
            }
            TransferSocket.setTimeouts(conn, seconds: TransferSocket.handshakeSeconds)
            let session: TransferSession
            do { session = try TransferSession.handshake(fd: conn, identity: identity, peer: sourceFingerprint, server: true) } catch {
                log.write("transfer \(transfer): refused a connection from \(from): \(error)")
                continue
            }
            let named: [UInt8]?
            do { named = try session.readExactly(Self.header.utf8.count + 33) } catch {
                log.write("transfer \(transfer): refused a connection from \(from): no transfer id: \(error)")
                session.close()
                continue
            }
            let expected = Array((Self.header + transfer + "\n").utf8)
            guard let named, named == expected else {
                let said = named.map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "nothing"
                log.write("transfer \(transfer): refused a connection from \(from): it named \"\(said)\", not this transfer")
                session.close()
                continue
            }
            TransferSocket.setTimeouts(conn, seconds: TransferSocket.idleSeconds)
            log.write("transfer \(transfer): accepted the connection from \(from); receiving \(subject)")
            state.withLock {
                $0.accepted = true
                $0.session = session
            }
            let receiver = Thread { [self] in
                let outcome = receive(session)
                session.close()
                switch outcome {
                case .success(let t): log.write("transfer \(transfer): received \(t.stats.entries) entries, \(t.stats.fileBytes) bytes of \(subject)")
                case .failure(let e): log.write("transfer \(transfer): failed: \(e.message)")
                }
                finish(outcome)
            }
            receiver.start()
        }
    }

    private func refuse(_ conn: Int32, from: String, _ why: String) {
        close(conn)
        log.write("transfer \(transfer): refused a connection from \(from): \(why)")
    }

    private func finish(_ outcome: Result<LayerTransfer, FleetError>) {
        state.withLock {
            if $0.outcome == nil { $0.outcome = outcome }
            Self.signal($0, wake.write)
        }
    }

    /// One byte into the wake pipe, under the state's lock (so never after
    /// the loop closed it); a full pipe already wakes the loop.
    private static func signal(_ state: State, _ fd: Int32) {
        guard !state.wakeClosed else { return }
        var byte: UInt8 = 1
        _ = write(fd, &byte, 1)
    }
}
