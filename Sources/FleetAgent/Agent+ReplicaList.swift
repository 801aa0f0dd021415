import FleetProtocol
import Foundation

extension Agent {
    /// replica.list: every guest with a replica directory here, whether it
    /// holds a complete point or only what a failed first sync left (both
    /// take disk, and `host reclaim` must see both).
    public func replicaDirectories() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: replicas.root)) ?? []
        return names.filter(Names.isValid).sorted()
    }
}
