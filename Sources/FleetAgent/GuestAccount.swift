import FleetKernel
import Glibc

/// Root's account in a running guest (/etc/passwd), for a login-like
/// environment in exec and enter.
struct GuestAccount: Equatable {
    var home: String
    var shell: String

    static let fallback = GuestAccount(home: "/root", shell: "/bin/sh")

    /// Reads the guest's /etc/passwd through its init's root, resolved
    /// inside that root only and read only if it is a regular file of at
    /// most `passwdLimit` bytes (GuestTree): a FIFO there would otherwise
    /// hang every exec, a link could show a host file. Anything else means
    /// the fallback.
    static func root(ofGuestInit pid: pid_t) -> GuestAccount {
        guard let tree = try? GuestTree(rootOfProcess: pid),
              let bytes = try? tree.read("/etc/passwd", limit: passwdLimit) else { return fallback }
        return parse(passwd: String(decoding: bytes, as: UTF8.self)) ?? fallback
    }

    /// 1 MiB: some ten thousand accounts.
    static let passwdLimit = 1 << 20

    /// root's line: name:password:uid:gid:gecos:home:shell.
    static func parse(passwd: String) -> GuestAccount? {
        for line in passwd.split(separator: "\n") {
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count >= 7, f[0] == "root" else { continue }
            let home = f[5].hasPrefix("/") ? String(f[5]) : "/root"
            let shell = f[6].hasPrefix("/") ? String(f[6]) : "/bin/sh"
            return GuestAccount(home: home, shell: shell)
        }
        return nil
    }
}
