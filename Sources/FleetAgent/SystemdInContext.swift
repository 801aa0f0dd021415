/// What vfleet tells a systemd init, on its command line (in a container
/// systemd reads its own argv where a kernel would give it /proc/cmdline):
/// nothing in the template changes.
enum SystemdInContext {
    /// Units masked, each for a reason of the context (docs/guide/debian.md
    /// lists them):
    /// - console-getty.service: nobody types on the guest's console (a pty
    ///   copied to the console log); a login prompt would only fill the log.
    ///   `vfleet-agent enter` gives a shell.
    static let maskedUnits = ["console-getty.service"]

    static var commandLine: [String] { maskedUnits.map { "systemd.mask=" + $0 } }
}
