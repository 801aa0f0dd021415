import FleetProtocol
import Foundation
import Glibc

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
    /// Per-guest lock files (locks/guest-NAME.lock). They stay when a guest
    /// goes: removing one while another process waits on it would let two
    /// processes hold "the" lock of a name at once.
    public var locks: String { root + "/locks" }
    public func guestLockFile(_ name: String) -> String { locks + "/guest-" + name + ".lock" }

    public func template(_ name: String) -> String { templates + "/" + name }
    public func templateRootfs(_ name: String) -> String { template(name) + "/rootfs" }
    public func templateManifest(_ name: String) -> String { template(name) + "/manifest.json" }

    public func guest(_ name: String) -> String { guests + "/" + name }
    public func guestConfig(_ name: String) -> String { guest(name) + "/config.json" }
    /// The guest's own changes: the overlay's upper layer.
    public func guestUpper(_ name: String) -> String { guest(name) + "/upper" }
    public func guestWork(_ name: String) -> String { guest(name) + "/work" }
    /// A guest with --disk: its layer's file system image, and where it is
    /// mounted (upper/ and work/ then live in it, see Agent.layerDirectories).
    public func guestDiskImage(_ name: String) -> String { guest(name) + "/disk.img" }
    public func guestDiskMount(_ name: String) -> String { guest(name) + "/layer" }
    func guestDiskLockFile(_ name: String) -> String { locks + "/disk-" + name + ".lock" }
    func guestDiskReadersFile(_ name: String) -> String { locks + "/disk-" + name + ".readers" }
    /// Mount point of the guest's root, used inside its own mount namespace only.
    public func guestRootfs(_ name: String) -> String { guest(name) + "/rootfs" }
    public func guestConsoleLog(_ name: String) -> String { guest(name) + "/console.log" }
    func guestConsoleLogger(_ name: String) -> String { guest(name) + "/console-logger.json" }

    /// Creates the directory skeleton: 0700, whoever's umask (guests'
    /// files are private; StatePermissions says which directories open up
    /// for a user namespace guest, and why).
    public func ensure() throws(FleetError) {
        for dir in [root, templates, guests, locks] {
            var st = stat()
            if lstat(dir, &st) == 0 {
                if st.st_mode & S_IFMT != S_IFDIR { throw .failed("cannot use state directory \(dir): it is not a directory") }
                continue
            }
            if dir == root {
                let parent = (root as NSString).deletingLastPathComponent
                if !parent.isEmpty { try? FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
            }
            do { try StatePermissions.makeDirectory(dir) } catch {
                throw .failed("cannot create state directory \(dir): \(error) (check --root)")
            }
        }
    }
}
