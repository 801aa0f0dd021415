import Foundation

/// Where `vfleet-agent` lives on the hosts, for the forced command of the
/// controller's authorized_keys line. The packages install both binaries to
/// /usr/bin and a hand copy goes to /usr/local/bin (agent/README.md); a fixed
/// default of either would print a line that fails on the other kind of
/// install, so the default follows how this `vfleet` was installed.
public enum AgentInstallPath {
    public static let environmentKey = "VFLEET_AGENT_PATH"
    public static let handCopied = "/usr/local/bin/vfleet-agent"
    public static let packaged = "/usr/bin/vfleet-agent"

    /// `--agent`, else VFLEET_AGENT_PATH, else /usr/bin/vfleet-agent when this
    /// `vfleet` runs from /usr/bin (the package), else /usr/local/bin/vfleet-agent.
    public static func resolve(option: String?, environment: [String: String], executable: String?) -> String {
        if let option, !option.isEmpty { return option }
        if let value = environment[environmentKey], !value.isEmpty { return value }
        if let executable, (executable as NSString).deletingLastPathComponent == "/usr/bin" { return packaged }
        return handCopied
    }

    /// The same for the running process.
    public static func resolve(option: String?) -> String {
        resolve(option: option, environment: ProcessInfo.processInfo.environment,
                executable: Bundle.main.executablePath.map { ($0 as NSString).resolvingSymlinksInPath })
    }

    public static let help = "Path of vfleet-agent on the hosts, for the forced command (default: $\(environmentKey), else \(packaged) when this vfleet runs from /usr/bin as the package installs it, else \(handCopied))."
}
