import Foundation

/// Runs a shell script that may install Debian packages, without touching
/// this machine's /usr, /etc, /var/lib, /var/cache, /var/log or dpkg database.
///
/// The script runs in a mount namespace of its own (`unshare --mount`,
/// private propagation) where those directories are overlays whose lower
/// layer is this machine's directory and whose upper layer is in
/// `directory`: `dpkg -i` there sees the real dpkg database and the real
/// libraries (so dependencies are checked for real), and every write lands
/// in the upper layer. /var/tmp stays the machine's (the test cluster's
/// directories are there). /run/systemd, when it exists, is hidden behind
/// an empty tmpfs, so that maintainer scripts find no running systemd and
/// never reload or start the machine's units. The mounts exist only while
/// the namespace has a process: they end with the script (or, for a test
/// host, with its sshd), also when the test fails or is killed, and the
/// test then removes `directory`. (/bin and /lib are symlinks into /usr on
/// Debian 12, so the overlay on /usr covers them.)
enum ScratchSystem {
    static let tops = ["usr", "etc", "var/lib", "var/cache", "var/log"]

    /// The upper layer of `top` ("usr", "var/lib", …): what was written there.
    static func upper(_ directory: String, _ top: String) -> String {
        directory + "/" + top.replacingOccurrences(of: "/", with: "-") + ".upper"
    }

    static func prelude(_ directory: String) -> String {
        var text = "set -e\nmount --make-rprivate /\n"
        for top in tops {
            let up = upper(directory, top)
            let work = directory + "/" + top.replacingOccurrences(of: "/", with: "-") + ".work"
            text += "mkdir -p '\(up)' '\(work)'\n"
            text += "mount -t overlay scratch -o 'lowerdir=/\(top),upperdir=\(up),workdir=\(work)' '/\(top)'\n"
        }
        text += "if [ -d /run/systemd ]; then mount -t tmpfs -o mode=0755 scratch-run-systemd /run/systemd; fi\nset +e\n"
        return text
    }

    static func run(_ script: String, in directory: String, env: [String: String] = [:], cwd: String? = nil) throws -> (status: Int32, out: String, err: String) {
        try check(directory)
        var environment = env
        environment["SCRATCH"] = directory
        return try DeployShell.run(["/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", prelude(directory) + script],
                                   env: environment, cwd: cwd ?? directory)
    }

    /// The same overlays in the mount namespace of a running process (a test
    /// host's sshd, whose sessions then install into them), then `after`.
    static func enter(pid: Int32, directory: String, after: String) throws {
        try check(directory)
        let r = try DeployShell.run(["/usr/bin/nsenter", "-t", String(pid), "-m", "/bin/sh", "-c", prelude(directory) + "set -e\n" + after])
        guard r.status == 0 else {
            throw ScratchSystemError(message: "cannot lay the scratch overlays into pid \(pid)'s mount namespace: \(r.out)\(r.err)")
        }
    }

    private static func check(_ directory: String) throws {
        guard !tops.contains(where: { directory.hasPrefix("/" + $0 + "/") }) else {
            throw ScratchSystemError(message: "scratch directory \(directory) must not be below /usr, /etc, /var/lib, /var/cache or /var/log (the overlays would hide it)")
        }
    }
}

struct ScratchSystemError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
