import CLibSSH
import Foundation

/// Sole owner of one connected, authenticated libssh session pointer.
///
/// libssh sessions (and the channels living in them) are not thread-safe, so
/// every call into libssh for this session goes through `perform` (or
/// `attemptOrWait`), which holds `lock` for the call: two threads never run
/// libssh on the same session at once. Threads waiting for data do not hold
/// the lock while they wait (see `attemptOrWait`), so a reader blocked on
/// one channel does not hold up a writer on another.
/// @unchecked: the session pointer is touched only under `lock` (above),
/// which the compiler cannot see through a C pointer.
final class LibSSHConnection: @unchecked Sendable {
    private let lock = TicketLock()
    /// nil once closed; libssh frees every channel with the session, so a
    /// channel must never touch its pointer after this is nil.
    private var raw: OpaquePointer?
    /// libssh's byte/packet counters ([0] socket, [1] payload): a change in
    /// received packets tells us a call may have delivered data to a
    /// channel some other thread is waiting for.
    private let counters: UnsafeMutablePointer<ssh_counter_struct>
    /// Threads waiting outside the lock, woken when packets arrive.
    private var waiters: [WakePipe] = []
    /// "user@host:port", for messages.
    let label: String
    /// The default bound for a blocking libssh call (SSHOptions.operationTimeout).
    let operationTimeout: Double

    /// Longest wait outside the lock before re-checking anyway: a safety net
    /// only, as waiters are woken by socket activity or by other threads.
    static let idleRecheckMilliseconds: Int32 = 1000
    /// Re-check interval if no wake pipe could be made.
    static let fallbackRecheckMilliseconds: Int32 = 20

    init(raw: OpaquePointer, label: String, operationTimeout: Double) {
        self.raw = raw
        self.label = label
        self.operationTimeout = operationTimeout
        counters = .allocate(capacity: 2)
        counters.initialize(repeating: ssh_counter_struct(), count: 2)
        ssh_set_counters(raw, counters, counters + 1)
    }

    deinit {
        close()
        counters.deallocate()
    }

    /// Runs `body` with the session locked and libssh's blocking timeout set
    /// to `timeout` seconds (default: the operation timeout). Throws `.closed`
    /// if the session was closed.
    func perform<T>(timeout: Double? = nil, _ body: (OpaquePointer) throws(SSHError) -> T) throws(SSHError) -> T {
        lock.lock()
        defer { lock.unlock() }
        guard let raw else {
            throw SSHError(kind: .closed, message: "the SSH session to \(label) is closed; open a new session")
        }
        Self.setTimeout(raw, seconds: timeout ?? operationTimeout)
        let packetsBefore = counters[1].in_packets
        defer { if counters[1].in_packets != packetsBefore { wakeWaiters() } }
        return try body(raw)
    }

    /// Runs `body` with the session locked; `raw` is nil when closed. For
    /// queries and cleanup that must not throw.
    func withLock<T>(_ body: (OpaquePointer?) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        guard let raw else { return body(nil) }
        Self.setTimeout(raw, seconds: operationTimeout)
        let packetsBefore = counters[1].in_packets
        defer { if counters[1].in_packets != packetsBefore { wakeWaiters() } }
        return body(raw)
    }

    /// Runs `attempt` under the lock (with a 1 ms libssh timeout: attempts
    /// must not wait inside libssh). Returns its value once it is `.done`.
    /// Otherwise returns nil, after first waiting without the lock when the
    /// attempt said `.wait`, received no packets (which could have changed
    /// what it checked) and time remains: until the socket is readable (or
    /// writable while libssh holds unsent data), another thread has received
    /// packets, the session is closed, or the deadline passes. The caller
    /// then decides whether to try again.
    func attemptOrWait<T>(
        until deadline: Deadline, _ attempt: (OpaquePointer) throws(SSHError) -> AttemptOutcome<T>
    ) throws(SSHError) -> T? {
        var wake: WakePipe?
        defer { wake?.close() }
        var socket: Int32 = -1
        var events = Int16(POLLIN)
        let result = try perform(timeout: 0.001) { raw throws(SSHError) -> T? in
            let packetsBefore = counters[1].in_packets
            switch try attempt(raw) {
            case .done(let value):
                return value
            case .retry:
                return nil
            case .wait:
                guard counters[1].in_packets == packetsBefore, !deadline.isExpired else { return nil }
                socket = ssh_get_fd(raw)
                if ssh_get_status(raw) & SSH_WRITE_PENDING != 0 { events |= Int16(POLLOUT) }
                // Registered in the same locked section as the attempt, so no
                // packet can slip in between the check and the wait unnoticed.
                wake = WakePipe()
                if let wake { waiters.append(wake) }
                return nil
            }
        }
        guard result == nil, socket >= 0 else { return result }
        var fds = [pollfd(fd: socket, events: events, revents: 0)]
        if let wake { fds.append(pollfd(fd: wake.readEnd, events: Int16(POLLIN), revents: 0)) }
        let cap = wake == nil ? Self.fallbackRecheckMilliseconds : Self.idleRecheckMilliseconds
        _ = poll(&fds, nfds_t(fds.count), deadline.slice(cappedAt: cap))
        if let wake {
            lock.lock()
            waiters.removeAll { $0.readEnd == wake.readEnd }
            lock.unlock()
        }
        return nil
    }

    /// Sends SSH_MSG_DISCONNECT and frees the session with all its channels.
    /// Safe to call more than once and from any thread.
    func close() {
        lock.lock()
        defer { lock.unlock() }
        guard let session = raw else { return }
        raw = nil
        // Waiters poll the socket libssh is about to close; get them out first.
        wakeWaiters()
        ssh_disconnect(session)
        ssh_free(session)
    }

    /// Caller holds the lock.
    private func wakeWaiters() {
        for waiter in waiters { waiter.signal() }
    }

    /// Sets the bound libssh applies to every blocking wait (its
    /// SSH_TIMEOUT_DEFAULT). A zero timeout would mean "forever" to libssh
    /// and below one millisecond it falls back to 10 s, so clamp to ≥ 1 ms.
    static func setTimeout(_ session: OpaquePointer, seconds: Double) {
        let micros = max(Int((min(seconds, Deadline.maximumSeconds) * 1_000_000).rounded(.up)), 1000)
        var whole = micros / 1_000_000
        var fraction = micros % 1_000_000
        ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &whole)
        ssh_options_set(session, SSH_OPTIONS_TIMEOUT_USEC, &fraction)
    }

    /// libssh's last error text for the session.
    static func errorText(_ session: OpaquePointer) -> String {
        guard let text = ssh_get_error(UnsafeMutableRawPointer(session)) else { return "unknown libssh error" }
        let message = String(cString: text)
        return message.isEmpty ? "unknown libssh error" : message
    }
}
