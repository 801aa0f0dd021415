import FleetProtocol
import Foundation
import Synchronization

/// A call run on a thread of its own while the caller goes on (a move digests
/// the stopped source while the delta travels); `wait()` gives its result.
final class BackgroundResult<T: Sendable>: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let result = Mutex<Result<T, FleetError>?>(nil)

    init(_ body: @escaping @Sendable () throws(FleetError) -> T) {
        let thread = Thread { [self] in
            let r: Result<T, FleetError>
            do throws(FleetError) { r = .success(try body()) } catch { r = .failure(error) }
            result.withLock { $0 = r }
            done.signal()
        }
        thread.start()
    }

    /// The result if the call has ended, without waiting for it.
    var ended: Result<T, FleetError>? { result.withLock { $0 } }

    /// The result, or nil if the call is still running after `seconds`.
    func wait(seconds: Double) -> Result<T, FleetError>? {
        guard done.wait(timeout: .now() + seconds) == .success else { return nil }
        done.signal()
        return result.withLock { $0! }
    }

    func wait() -> Result<T, FleetError> {
        done.wait()
        // Let a later wait() through as well.
        done.signal()
        return result.withLock { $0! }
    }
}
