import Foundation
import Glibc

/// Who runs an operation, as the journal names it: "PID@HOST", the process
/// that took its last step. Whether that process still runs decides whether
/// anybody else may finish the operation.
public struct OperationOwner: Sendable, Equatable {
    public enum Liveness: Sendable, Equatable {
        /// A vfleet process with that pid runs on this machine.
        case alive
        /// It was this machine's, and no vfleet process has that pid now.
        case dead
        /// Another machine's (or unreadable): this machine cannot tell.
        case unknown
    }

    public let pid: Int32
    public let host: String

    public init?(_ text: String) {
        let parts = text.split(separator: "@", maxSplits: 1)
        guard parts.count == 2, let pid = Int32(parts[0]), pid > 0 else { return nil }
        self.pid = pid
        host = String(parts[1])
    }

    /// `command` reads a live pid's command name (nil: no such process).
    /// A pid reused by another program counts as dead: the owner was vfleet
    /// (the CLI, `vfleet serve`, or a test process linking the controller,
    /// all named vfleet…).
    public func liveness(thisHost: String, command: (Int32) -> String?) -> Liveness {
        guard host == thisHost else { return .unknown }
        guard let name = command(pid) else { return .dead }
        return name.hasPrefix("vfleet") ? .alive : .dead
    }

    /// This machine's view, from /proc.
    public func liveness() -> Liveness {
        liveness(thisHost: ProcessInfo.processInfo.hostName) { pid in
            guard kill(pid, 0) == 0 || errno == EPERM else { return nil }
            let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? ""
            // A zombie has exited: it runs no operation any more.
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            if let close = stat.lastIndex(of: ")"), stat[close...].dropFirst(2).hasPrefix("Z") { return nil }
            return comm.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }
}
