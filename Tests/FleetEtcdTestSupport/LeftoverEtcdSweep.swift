import Foundation

/// What a crashed test run left: its etcd members keep running (a crash
/// runs no `defer`). Each cluster's directory records the test process and
/// each member by pid and start time (/proc/PID/stat, so a reused pid is
/// never taken for them); a later run stops the members of a directory
/// whose test process is gone, by pid, and removes the directory.
public enum LeftoverEtcdSweep {
    public static let prefix = "fleetetcd-test-"

    public static func mark(_ directory: String, owner pid: pid_t) throws {
        try record(pid).write(toFile: directory + "/owner", atomically: true, encoding: .utf8)
    }

    public static func mark(_ directory: String, member name: String, pid: pid_t) throws {
        try record(pid).write(toFile: directory + "/\(name).pid", atomically: true, encoding: .utf8)
    }

    public static func run() {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/tmp") else { return }
        for entry in entries where entry.hasPrefix(prefix) {
            let directory = "/tmp/" + entry
            guard let owner = try? String(contentsOfFile: directory + "/owner", encoding: .utf8),
                  !isAlive(owner)
            else { continue }
            let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for file in files where file.hasSuffix(".pid") {
                guard let member = try? String(contentsOfFile: directory + "/" + file, encoding: .utf8), isAlive(member),
                      let pid = pid_t(member.split(separator: " ").first ?? "")
                else { continue }
                kill(pid, SIGKILL)
            }
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// "PID STARTTIME" of a process.
    private static func record(_ pid: pid_t) -> String { "\(pid) \(startTime(pid) ?? "?")" }

    private static func isAlive(_ record: String) -> Bool {
        let fields = record.split(separator: " ")
        guard fields.count == 2, let pid = pid_t(fields[0]) else { return false }
        return startTime(pid) == String(fields[1])
    }

    /// Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot.
    private static func startTime(_ pid: pid_t) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, so start time (22) is index 19.
        return fields.count > 19 ? String(fields[19]) : nil
    }
}
