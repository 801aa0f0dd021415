import FleetKernel
import FleetProtocol
import Foundation
import Glibc

/// Facts about this host for `hello`.
enum HostFactsCollector {
    static func collect(agent: Agent) -> HostFacts {
        var uts = utsname()
        uname(&uts)
        func field<T>(_ v: T) -> String {
            withUnsafeBytes(of: v) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
        }
        var vfs = statvfs()
        let free: UInt64 = statvfs(agent.paths.root, &vfs) == 0 ? UInt64(vfs.f_bavail) * UInt64(vfs.f_frsize) : 0
        return HostFacts(
            hostname: field(uts.nodename),
            kernel: field(uts.release),
            cgroupMode: agent.layout.mode.rawValue,
            cpus: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))),
            memoryBytes: memoryTotal,
            freeDiskBytes: free,
            templates: agent.templates.list(),
            guests: agent.list())
    }

    /// Read once per agent process: a long-lived one answers many hellos,
    /// and the machine's memory does not change under it.
    static let memoryTotal = memTotal()

    static func memTotal() -> UInt64 {
        guard let text = SysFile.readIfPresent("/proc/meminfo") else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            let kb = line.split(separator: " ").dropFirst().first.flatMap { UInt64($0) } ?? 0
            return kb * 1024
        }
        return 0
    }
}

extension Agent {
    /// The handshake alone, with empty facts.
    public func helloWithoutFacts() -> HelloResult {
        HelloResult(protocolVersion: ProtocolVersion.current, agentVersion: ProtocolVersion.agentVersion,
                    host: HostFacts(hostname: "", kernel: "", cgroupMode: layout.mode.rawValue, cpus: 0, memoryBytes: 0,
                                    freeDiskBytes: 0, templates: [], guests: []))
    }

    public func hello() -> HelloResult {
        HelloResult(protocolVersion: ProtocolVersion.current, agentVersion: ProtocolVersion.agentVersion,
                    host: HostFactsCollector.collect(agent: self))
    }
}
