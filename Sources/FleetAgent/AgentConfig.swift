import FleetProtocol
import Foundation

/// The agent's configuration file, STATE/agent.json (optional; see
/// agent/agent.json for the defaults). Environment variables override it.
public struct AgentConfig: Codable, Sendable, Equatable {
    /// Guests' cgroups are PARENT/NAME in every hierarchy. Several agents on
    /// one kernel (the test cluster, tests) need distinct parents, since
    /// cgroups are shared by the whole machine.
    public var cgroupParent: String

    public init(cgroupParent: String = "vfleet") {
        self.cgroupParent = cgroupParent
    }

    public static let fileName = "agent.json"

    /// Reads STATE/agent.json if present, then applies VFLEET_CGROUP_PARENT.
    public static func load(paths: AgentPaths) throws(FleetError) -> AgentConfig {
        var config = AgentConfig()
        let file = paths.root + "/" + fileName
        if FileManager.default.fileExists(atPath: file) {
            config = try AtomicFile.readJSON(AgentConfig.self, from: file)
        }
        if let env = ProcessInfo.processInfo.environment["VFLEET_CGROUP_PARENT"], !env.isEmpty {
            config.cgroupParent = env
        }
        do { try Names.validate(config.cgroupParent, kind: "cgroup parent") } catch {
            throw .invalid("\(file): \(error.message)")
        }
        return config
    }

    public func save(paths: AgentPaths) throws(FleetError) {
        try paths.ensure()
        try AtomicFile.writeJSON(self, to: paths.root + "/" + Self.fileName)
    }
}
