import FleetProtocol
import Foundation

/// The agent's configuration file, STATE/agent.json (optional; see
/// agent/agent.json for the defaults). Environment variables override it.
public struct AgentConfig: Codable, Sendable, Equatable {
    /// Guests' cgroups are PARENT/NAME in every hierarchy. Several agents on
    /// one kernel (the test cluster, tests) need distinct parents, since
    /// cgroups are shared by the whole machine.
    public var cgroupParent: String
    /// The lowest context id this agent hands out. A user namespace guest's
    /// host ids are contextId*65536 and up, so several agents on one kernel
    /// (the test cluster) need disjoint blocks, or guests of different
    /// "hosts" would share host uids.
    public var firstContextId: Int
    /// The pids limit of a guest created without --pids (0: none). Without
    /// one, a fork bomb in a guest takes the host's whole pid space.
    public var defaultPids: Int
    /// Each guest's console log is cut at this many bytes and rotated;
    /// `consoleLogFiles` older parts are kept (console.log.1 …).
    public var consoleLogBytes: Int
    public var consoleLogFiles: Int
    /// The longest RPC request line the agent reads; a longer one is
    /// answered with an error and dropped as it streams (docs/PROTOCOL.md).
    public var maxRequestLineBytes: Int
    /// The ports a direct transfer's destination listens on, "LOW-HIGH"
    /// (docs/ARCHITECTURE.md, direct transfers): one per concurrent
    /// incoming transfer; a fixed range so that firewalls can allow it.
    public var transferPorts: String = AgentConfig.defaultTransferPorts
    /// Threads that create an incoming copy's files while its stream is
    /// read (TreeStreamFileWriters): for many small files the kernel's work
    /// of creating them is most of a move's time, and it spreads over cores.
    /// 0: every file is made by the receiving thread.
    public var receiveWriterThreads: Int = AgentConfig.defaultReceiveWriterThreads

    public static let defaults = (pids: 4096, consoleLogBytes: 1 << 20, consoleLogFiles: 2)
    public static let defaultMaxRequestLineBytes = 4 << 20
    public static let defaultTransferPorts = "7440-7479"
    /// Two per core, at most 8: a writer often waits (a directory's lock,
    /// the disk), and on 2 cores 3-4 writers made 50,000 small files faster
    /// than 2 (BENCHMARKS.md).
    public static var defaultReceiveWriterThreads: Int { min(8, 2 * max(1, ProcessInfo.processInfo.activeProcessorCount)) }

    public init(cgroupParent: String = "vfleet", firstContextId: Int = GuestRecord.defaultFirstContextId,
                defaultPids: Int = AgentConfig.defaults.pids, consoleLogBytes: Int = AgentConfig.defaults.consoleLogBytes,
                consoleLogFiles: Int = AgentConfig.defaults.consoleLogFiles,
                maxRequestLineBytes: Int = AgentConfig.defaultMaxRequestLineBytes) {
        self.cgroupParent = cgroupParent
        self.firstContextId = firstContextId
        self.defaultPids = defaultPids
        self.consoleLogBytes = consoleLogBytes
        self.consoleLogFiles = consoleLogFiles
        self.maxRequestLineBytes = maxRequestLineBytes
    }

    enum CodingKeys: String, CodingKey {
        case cgroupParent, firstContextId, defaultPids, consoleLogBytes, consoleLogFiles, maxRequestLineBytes, transferPorts,
             receiveWriterThreads
    }

    /// Every key may be left out: agent.json files written before a key
    /// existed keep working.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(cgroupParent: try c.decodeIfPresent(String.self, forKey: .cgroupParent) ?? "vfleet",
                  firstContextId: try c.decodeIfPresent(Int.self, forKey: .firstContextId) ?? GuestRecord.defaultFirstContextId,
                  defaultPids: try c.decodeIfPresent(Int.self, forKey: .defaultPids) ?? Self.defaults.pids,
                  consoleLogBytes: try c.decodeIfPresent(Int.self, forKey: .consoleLogBytes) ?? Self.defaults.consoleLogBytes,
                  consoleLogFiles: try c.decodeIfPresent(Int.self, forKey: .consoleLogFiles) ?? Self.defaults.consoleLogFiles,
                  maxRequestLineBytes: try c.decodeIfPresent(Int.self, forKey: .maxRequestLineBytes) ?? Self.defaultMaxRequestLineBytes)
        transferPorts = try c.decodeIfPresent(String.self, forKey: .transferPorts) ?? Self.defaultTransferPorts
        receiveWriterThreads = try c.decodeIfPresent(Int.self, forKey: .receiveWriterThreads) ?? Self.defaultReceiveWriterThreads
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
        guard (1...GuestRecord.lastContextId).contains(config.firstContextId) else {
            throw .invalid("\(file): firstContextId \(config.firstContextId) is outside 1-\(GuestRecord.lastContextId) (host ids are context*65536 and must fit in 32 bits)")
        }
        guard config.defaultPids >= 0 else {
            throw .invalid("\(file): defaultPids \(config.defaultPids) is negative (0 means no default limit)")
        }
        guard config.consoleLogBytes >= 4096 else {
            throw .invalid("\(file): consoleLogBytes \(config.consoleLogBytes) is below 4096 (a console log needs room for a line or two)")
        }
        guard (0...100).contains(config.consoleLogFiles) else {
            throw .invalid("\(file): consoleLogFiles \(config.consoleLogFiles) is outside 0-100")
        }
        guard (64 << 10...1 << 30).contains(config.maxRequestLineBytes) else {
            throw .invalid("\(file): maxRequestLineBytes \(config.maxRequestLineBytes) is outside 65536-1073741824 (the default is \(defaultMaxRequestLineBytes))")
        }
        do { _ = try config.transferPortRange() } catch { throw .invalid("\(file): \(error.message)") }
        guard (0...64).contains(config.receiveWriterThreads) else {
            throw .invalid("\(file): receiveWriterThreads \(config.receiveWriterThreads) is outside 0-64 (0 makes every file on the receiving thread; the default is two per core, at most 8)")
        }
        return config
    }

    /// `transferPorts` as a range of ports.
    public func transferPortRange() throws(FleetError) -> ClosedRange<Int> {
        let parts = transferPorts.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let low = Int(parts[0]), let high = Int(parts[1]), 1 <= low, low <= high, high <= 65535 else {
            throw .invalid("transferPorts \"\(transferPorts)\" is not LOW-HIGH with 1 <= LOW <= HIGH <= 65535 (the default is \(Self.defaultTransferPorts))")
        }
        return low...high
    }

    public func save(paths: AgentPaths) throws(FleetError) {
        try paths.ensure()
        try AtomicFile.writeJSON(self, to: paths.root + "/" + Self.fileName)
    }
}
