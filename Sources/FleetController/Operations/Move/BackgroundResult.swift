import FleetProtocol
import Foundation

/// A call run on a thread of its own while the caller goes on (a move digests
/// the stopped source while the delta travels); `wait()` gives its result.
final class BackgroundResult<T: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: Result<T, FleetError>?

    init(_ body: @escaping @Sendable () throws(FleetError) -> T) {
        let thread = Thread { [self] in
            let r: Result<T, FleetError>
            do throws(FleetError) { r = .success(try body()) } catch { r = .failure(error) }
            condition.lock()
            result = r
            condition.broadcast()
            condition.unlock()
        }
        thread.start()
    }

    func wait() -> Result<T, FleetError> {
        condition.lock()
        defer { condition.unlock() }
        while result == nil { condition.wait() }
        return result!
    }
}
