import Foundation

/// A log file of the agent's, one line per entry, appended with its time and
/// echoed to stderr: STATE/transfer.log (what a destination's listener
/// accepted and refused) and STATE/fence.log (requests refused by a fence).
struct AgentLogFile: Sendable {
    let file: String

    func write(_ line: String) {
        let stamp = ISO8601DateFormatter().string(from: Date())
        let text = "\(stamp) \(line)\n"
        FileHandle.standardError.write(Data(("vfleet-agent: " + line + "\n").utf8))
        let fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
        close(fd)
    }
}
