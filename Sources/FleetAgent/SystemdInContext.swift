/// What vfleet tells a systemd init, on its command line (in a container
/// systemd reads its own argv where a kernel would give it /proc/cmdline):
/// nothing in the template changes.
enum SystemdInContext {
    /// Units masked, each for a reason of the context (docs/guide/debian.md
    /// lists them):
    /// - console-getty.service: /dev/console is the guest's log file, not a
    ///   terminal; agetty on it fails and systemd reports the unit failed.
    ///   `vfleet-agent enter` is the guest's console.
    static let maskedUnits = ["console-getty.service"]

    static var commandLine: [String] { maskedUnits.map { "systemd.mask=" + $0 } }
}
