import FleetProtocol
import FleetTree
import FleetTreeStream
import Glibc

extension TemplateStore {
    /// Installs a template from a tree stream another host's agent sends (a
    /// direct transfer): the tree lands in a staging directory, passes the
    /// checks of a directory import (no device node, overlay whiteouts
    /// included, no symlink leaving the tree), and is renamed into place only
    /// if its tree digest is `expectedDigest`. On any failure nothing of it
    /// stays.
    /// `lock` (the agent's) is held only for the final check and rename.
    func receive<S: ByteSource>(name: String, expectedDigest: String, from stream: inout S, origin: String,
                                lock: @escaping () throws(FleetError) -> AgentLock) throws(FleetError) -> (TemplateInfo, TreeStreamStats) {
        var stats = TreeStreamStats()
        let info = try install(name: name, source: origin, expectedDigest: expectedDigest, lock: lock) { (rootfs: String) throws(FleetError) in
            do {
                guard mkdir(rootfs, 0o755) == 0 else { throw FleetError.failed("cannot create \(rootfs): \(String(cString: strerror(errno)))") }
                stats = try TreeStreamReader.apply(from: &stream, into: rootfs)
                try TreeValidator.validate(directory: rootfs)
            } catch let e as FleetError {
                throw e
            } catch {
                throw .invalid("cannot receive template \(name): \(error); nothing was kept")
            }
        }
        return (info, stats)
    }
}
