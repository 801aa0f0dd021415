/// How a guest's init wants to be told to shut down.
public enum InitStyle: String, Codable, Sendable, CaseIterable {
    /// A plain program or script: SIGTERM.
    case plain
    /// sysvinit: SIGPWR makes it run the power-failure (shutdown) entry.
    case sysv
    /// systemd: SIGRTMIN+3 starts halt.target.
    case systemd

    /// The default stop signal number on Linux.
    public var stopSignal: Int32 {
        switch self {
        case .plain: return 15      // SIGTERM
        case .sysv: return 30       // SIGPWR
        case .systemd: return 34 + 3 // SIGRTMIN+3
        }
    }
}

/// Signals by name for --stop-signal: TERM, SIGPWR, RTMIN+3, or a number.
public enum SignalName {
    static let table: [String: Int32] = [
        "HUP": 1, "INT": 2, "QUIT": 3, "KILL": 9, "USR1": 10, "USR2": 12, "TERM": 15, "PWR": 30,
    ]

    public static func number(_ text: String) -> Int32? {
        var s = text.uppercased()
        if s.hasPrefix("SIG") { s.removeFirst(3) }
        if let n = Int32(s), n > 0, n < 65 { return n }
        if let n = table[s] { return n }
        if s.hasPrefix("RTMIN") {
            let rest = s.dropFirst(5)
            if rest.isEmpty { return 34 }
            if rest.hasPrefix("+"), let k = Int32(rest.dropFirst()), k >= 0, k <= 30 { return 34 + k }
        }
        return nil
    }

    public static func name(_ n: Int32) -> String {
        if let (k, _) = table.first(where: { $0.value == n }) { return "SIG" + k }
        if n >= 34 && n <= 64 { return n == 34 ? "SIGRTMIN" : "SIGRTMIN+\(n - 34)" }
        return "signal \(n)"
    }
}
