import FleetKernel
import Foundation
import Glibc

/// guests/NAME/console-logger: the pid and start time of the process that
/// copies the guest's console to its log. Stop waits for it, so that the
/// log holds the shutdown's last lines when stop returns (another agent
/// process may stop the guest than the one that started it).
struct ConsoleLoggerRecord: Codable, Equatable {
    var pid: Int32
    var startTicks: UInt64

    static func save(pid: pid_t, to path: String) {
        guard let ticks = ProcessFacts.startTicks(pid) else { return }
        try? AtomicFile.writeJSON(ConsoleLoggerRecord(pid: pid, startTicks: ticks), to: path)
    }

    /// Waits for the recorded logger to end, then forgets it.
    static func waitAndRemove(_ path: String) {
        guard let data = FileManager.default.contents(atPath: path),
              let record = try? JSONDecoder().decode(ConsoleLoggerRecord.self, from: data) else { return }
        GuestConsole.waitForLogger(pid: record.pid, startTicks: record.startTicks)
        unlink(path)
    }
}
