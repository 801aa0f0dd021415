import Foundation

/// A first-come, first-served mutex.
///
/// A session's readers re-lock every time the socket wakes them, which
/// while data streams is thousands of times a second; with an ordinary
/// (unfair) mutex they could keep winning and starve a writer on a sibling
/// channel. Tickets make every re-lock wait its turn behind the writer.
/// @unchecked: the two counters are read and written only while
/// `condition` is locked; a waiting lock needs the condition, which
/// `Mutex` has not.
final class TicketLock: @unchecked Sendable {
    private let condition = NSCondition()
    private var nextTicket: UInt64 = 0
    private var nowServing: UInt64 = 0

    func lock() {
        condition.lock()
        let ticket = nextTicket
        nextTicket += 1
        while ticket != nowServing { condition.wait() }
        condition.unlock()
    }

    func unlock() {
        condition.lock()
        nowServing += 1
        condition.broadcast()
        condition.unlock()
    }
}
