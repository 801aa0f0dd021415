import Foundation
import Glibc

/// Root's account in a running guest (/etc/passwd), for a login-like
/// environment in exec and enter.
struct GuestAccount: Equatable {
    var home: String
    var shell: String

    static let fallback = GuestAccount(home: "/root", shell: "/bin/sh")

    /// Reads the guest's /etc/passwd through its init's root. Neither /etc
    /// nor passwd may be a symbolic link: resolved from here, an absolute
    /// link would point into the host's tree.
    static func root(ofGuestInit pid: pid_t) -> GuestAccount {
        let base = "/proc/\(pid)/root"
        var st = stat()
        guard lstat(base + "/etc", &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { return fallback }
        let fd = open(base + "/etc/passwd", O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return fallback }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        guard let data = try? handle.read(upToCount: 1 << 20), let text = String(data: data, encoding: .utf8) else { return fallback }
        return parse(passwd: text) ?? fallback
    }

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
