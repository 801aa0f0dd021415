/// Environment variables of processes in a guest.
enum GuestEnvironment {
    static let path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// `container=vfleet` is how systemd and others learn they run in a context.
    static func forInit(guest: String) -> [String] {
        ["PATH=\(path)", "container=vfleet", "HOME=/root", "TERM=linux"]
    }

    /// A login-like environment for exec and enter.
    static func forExec(term: String?, account: GuestAccount = .fallback, extra: [String] = []) -> [String] {
        var env = ["PATH=\(path)", "container=vfleet", "HOME=\(account.home)", "USER=root", "LOGNAME=root",
                   "SHELL=\(account.shell)", "MAIL=/var/mail/root", "TERM=\(term ?? "dumb")"]
        for entry in extra {
            let key = entry.split(separator: "=", maxSplits: 1).first.map(String.init) ?? entry
            env.removeAll { $0.hasPrefix(key + "=") }
            env.append(entry)
        }
        return env
    }
}
