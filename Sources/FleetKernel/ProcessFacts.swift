import Glibc

/// Facts about a host process read from /proc.
public enum ProcessFacts {
    /// The pid as seen from inside each nested pid namespace (NSpid); the
    /// last is the innermost. A guest init's list ends with 1.
    public static func namespacePids(_ pid: pid_t) -> [pid_t] {
        guard let status = SysFile.readIfPresent("/proc/\(pid)/status") else { return [] }
        for line in status.split(separator: "\n") where line.hasPrefix("NSpid:") {
            return line.dropFirst(6).split(whereSeparator: { $0 == "\t" || $0 == " " }).compactMap { pid_t($0) }
        }
        return []
    }

    /// Start time in clock ticks after boot (field 22 of /proc/PID/stat).
    public static func startTicks(_ pid: pid_t) -> UInt64? {
        guard let stat = SysFile.readIfPresent("/proc/\(pid)/stat"),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After "pid (comm)": state is field 3, so starttime (22) is index 19.
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    /// The state letter of /proc/PID/stat (R, S, D, Z, …); nil when gone.
    public static func state(_ pid: pid_t) -> Character? {
        guard let stat = SysFile.readIfPresent("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ").first?.first
    }

    /// Seconds since the process started.
    public static func uptimeSeconds(_ pid: pid_t) -> Double? {
        guard let ticks = startTicks(pid),
              let up = SysFile.readIfPresent("/proc/uptime")?.split(separator: " ").first,
              let hostUp = Double(up) else { return nil }
        let hz = Double(sysconf(Int32(_SC_CLK_TCK)))
        return max(0, hostUp - Double(ticks) / hz)
    }

    public static func isAlive(_ pid: pid_t) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    /// The namespace identity ("mnt:[4026531840]") of a process.
    public static func namespace(_ kind: String, of pid: String = "self") -> String? {
        var buf = [CChar](repeating: 0, count: 128)
        let n = readlink("/proc/\(pid)/ns/\(kind)", &buf, buf.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
