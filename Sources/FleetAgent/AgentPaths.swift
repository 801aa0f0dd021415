import FleetProtocol
import Foundation

/// Where an agent keeps its state. Everything lives under one root
/// (default /var/lib/vfleet; --root or VFLEET_AGENT_ROOT move it).
public struct AgentPaths: Sendable {
    public let root: String

    public static let defaultRoot = "/var/lib/vfleet"

    public init(root: String) {
        var r = root
        while r.count > 1 && r.hasSuffix("/") { r.removeLast() }
        self.root = r
    }

    /// --root, else VFLEET_AGENT_ROOT, else the default.
    public static func resolve(_ option: String?) -> AgentPaths {
        if let option, !option.isEmpty { return AgentPaths(root: option) }
        if let env = ProcessInfo.processInfo.environment["VFLEET_AGENT_ROOT"], !env.isEmpty { return AgentPaths(root: env) }
        return AgentPaths(root: defaultRoot)
    }

    public var templates: String { root + "/templates" }
    public var guests: String { root + "/guests" }
    public var lockFile: String { root + "/agent.lock" }

    public func template(_ name: String) -> String { templates + "/" + name }
    public func templateRootfs(_ name: String) -> String { template(name) + "/rootfs" }
    public func templateManifest(_ name: String) -> String { template(name) + "/manifest.json" }

    public func guest(_ name: String) -> String { guests + "/" + name }
    public func guestConfig(_ name: String) -> String { guest(name) + "/config.json" }
    /// The guest's own changes: the overlay's upper layer.
    public func guestUpper(_ name: String) -> String { guest(name) + "/upper" }
    public func guestWork(_ name: String) -> String { guest(name) + "/work" }
    /// Mount point of the guest's root, used inside its own mount namespace only.
    public func guestRootfs(_ name: String) -> String { guest(name) + "/rootfs" }
    public func guestConsoleLog(_ name: String) -> String { guest(name) + "/console.log" }
    func guestConsoleLogger(_ name: String) -> String { guest(name) + "/console-logger.json" }

    /// Creates the directory skeleton (0700: guests' files are private).
    public func ensure() throws(FleetError) {
        for dir in [root, templates, guests] {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) {
                if !isDir.boolValue { throw .failed("cannot use state directory \(dir): it is not a directory") }
                continue
            }
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw .failed("cannot create state directory \(dir): \(error.localizedDescription) (check --root)")
            }
        }
    }
}
