import Foundation

/// Runs a shell script that may install Debian packages, without touching
/// this machine's /usr, /etc, /var or dpkg database.
///
/// The script runs in a mount namespace of its own (`unshare --mount`,
/// private propagation) where /usr, /etc and /var are overlays whose lower
/// layer is this machine's directory and whose upper layer is in
/// `directory`: `dpkg -i` there sees the real dpkg database and the real
/// libraries (so dependencies are checked for real), and every write lands
/// in the upper layer. /run/systemd, when it exists, is hidden behind an
/// empty tmpfs, so that maintainer scripts find no running systemd and
/// never reload or start the machine's units. The mounts exist only while
/// the script runs: they end with the namespace's last process, also when
/// the test fails or is killed, and the test then removes `directory`.
/// (/bin and /lib are symlinks into /usr on Debian 12, so the overlay on
/// /usr covers them.)
enum ScratchSystem {
    /// The upper layers' paths: what the script wrote to /usr, /etc, /var.
    static func upper(_ directory: String, _ top: String) -> String { directory + "/\(top).upper" }

    static func run(_ script: String, in directory: String, env: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
        guard !["/usr", "/etc", "/var"].contains(where: { directory.hasPrefix($0 + "/") }) else {
            throw ScratchSystemError(message: "scratch directory \(directory) must not be below /usr, /etc or /var (the overlays would hide it)")
        }
        let prelude = """
        set -e
        mount --make-rprivate /
        for d in usr etc var; do
            mkdir -p "$SCRATCH/$d.upper" "$SCRATCH/$d.work"
            mount -t overlay "scratch-$d" -o "lowerdir=/$d,upperdir=$SCRATCH/$d.upper,workdir=$SCRATCH/$d.work" "/$d"
        done
        if [ -d /run/systemd ]; then mount -t tmpfs -o mode=0755 scratch-run-systemd /run/systemd; fi
        set +e

        """
        var environment = env
        environment["SCRATCH"] = directory
        return try DeployShell.run(["/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", prelude + script],
                                   env: environment, cwd: directory)
    }
}

struct ScratchSystemError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
