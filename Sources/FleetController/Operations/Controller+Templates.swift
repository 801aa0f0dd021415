import FleetArchive
import FleetProtocol
import FleetRootfs
import FleetSSH
import FleetSystem
import FleetTree
import Foundation
import Glibc

extension Controller {
    /// Where template archives live at the controller.
    var templateDirectory: String { store.dataDirectory + "/templates" }

    /// `vfleet template add NAME PATH` (a directory or a tar archive),
    /// `--busybox` for a template built from Debian's busybox-static, or
    /// `--debian` for one made by debootstrap.
    /// The tree is validated and digested; the archive kept is made from the
    /// validated tree, so what hosts receive is what was checked.
    public func addTemplate(name: String, path: String?, busybox: Bool = false, debian: DebianBuildOptions? = nil) throws(FleetError) -> StoredTemplate {
        try recorder.record("template.add", template: name) { (note: inout EventNote) throws(FleetError) in
            let t = try importTemplate(name: name, path: path, busybox: busybox, debian: debian)
            note.detail = "digest \(t.digest.prefix(16)), \(t.fileCount) files, from \(debian != nil ? "debootstrap" : busybox ? "busybox" : path ?? "-")"
            return t
        }
    }

    func importTemplate(name: String, path: String?, busybox: Bool, debian: DebianBuildOptions?) throws(FleetError) -> StoredTemplate {
        try Names.validate(name, kind: "template")
        if (try? store.template(name)) != nil { throw .conflict("template \(name) exists already") }
        let fm = FileManager.default
        let work = store.dataDirectory + "/.template-\(name)-\(UUID().uuidString.prefix(8))"
        defer { try? fm.removeItem(atPath: work) }
        do { try fm.createDirectory(atPath: work, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) } catch {
            throw .failed("cannot create \(work): \(error.localizedDescription)")
        }
        var tree = work + "/rootfs"
        do {
            if let debian {
                do throws(DebianRootfsError) { try DebianRootfs.build(at: tree, options: debian, logPath: work + "/debootstrap.log") } catch {
                    throw FleetError(error.missingTool ? .unsupported : .failed, "cannot add template \(name): \(error.description)")
                }
            } else if busybox {
                do throws(BusyboxRootfsError) { try BusyboxRootfs.build(at: tree) } catch {
                    throw FleetError(error.missingBusybox ? .unsupported : .failed, error.description)
                }
            } else {
                guard let path else { throw FleetError.invalid("give a directory or archive, or --busybox") }
                var isDir: ObjCBool = false
                guard fm.fileExists(atPath: path, isDirectory: &isDir) else { throw FleetError.notFound("cannot add template \(name): \(path) does not exist") }
                if isDir.boolValue {
                    try TreeValidator.validate(directory: path)
                    tree = path
                } else {
                    try fm.createDirectory(atPath: tree, withIntermediateDirectories: false)
                    _ = try TarImporter.extract(archive: path, into: tree)
                }
            }
        } catch let e as FleetError {
            throw e
        } catch {
            throw .invalid("cannot add template \(name): \(error)")
        }
        let digest: TreeDigest
        do { digest = try TreeDigester.digest(root: tree) } catch { throw .failed("cannot digest template \(name): \(error)") }
        do { try fm.createDirectory(atPath: templateDirectory, withIntermediateDirectories: true) } catch {
            throw .failed("cannot create \(templateDirectory): \(error.localizedDescription)")
        }
        let archive = templateDirectory + "/\(name)-\(digest.digest.prefix(16)).tar"
        try TarWriter.create(archive: archive, from: tree)
        let size = (try? fm.attributesOfItem(atPath: archive)[.size] as? UInt64) ?? 0
        let t = StoredTemplate(name: name, digest: digest.digest, fileCount: digest.fileCount, totalBytes: digest.totalBytes,
                               archivePath: archive, archiveBytes: size, addedAt: Date().timeIntervalSince1970)
        do { try store.insertTemplate(t) } catch {
            try? fm.removeItem(atPath: archive)
            throw error
        }
        return t
    }

    public struct PushResult: Sendable {
        public var host: String
        /// false: the host had the digest already.
        public var sent: Bool
        public var bytes: UInt64
        public var seconds: Double
        public var error: FleetError?
    }

    /// `vfleet template push`: streams the archive to hosts lacking its
    /// digest; the agent verifies the digest after extraction.
    public func pushTemplate(_ name: String, to hostNames: [String]) throws(FleetError) -> [PushResult] {
        let template = try store.template(name)
        let hosts = try hostNames.map { (n: String) throws(FleetError) in try store.host(n) }
        return parallelMap(hosts, maxParallel: settings.maxParallelHosts) { [self] host in
            let started = Date()
            do throws(FleetError) {
                let sent = try recorder.record("template.push", host: host.name, template: name) { (note: inout EventNote) throws(FleetError) in
                    let sent = try ensureTemplate(template, on: host)
                    note.detail = sent ? "sent \(ByteSize.format(template.archiveBytes))" : "the host had it already"
                    return sent
                }
                return PushResult(host: host.name, sent: sent, bytes: sent ? template.archiveBytes : 0,
                                  seconds: Date().timeIntervalSince(started), error: nil)
            } catch {
                return PushResult(host: host.name, sent: false, bytes: 0, seconds: Date().timeIntervalSince(started), error: error)
            }
        }
    }

    /// Makes sure `host` has `template` (by digest): asks the agent, sends it
    /// if missing. Returns whether it was sent.
    @discardableResult
    func ensureTemplate(_ template: StoredTemplate, on host: StoredHost) throws(FleetError) -> Bool {
        try TemplateDelivery.ensure(template, on: host, via: agents)
    }
}

/// Writes tar archives with GNU tar (numeric owners, hard links kept): the
/// controller's side only; hosts read them with FleetTree's own importer.
enum TarWriter {
    static func create(archive: String, from tree: String) throws(FleetError) {
        let out: SubprocessOutput
        do { out = try Subprocess.run(["/bin/tar", "--numeric-owner", "--sort=name", "-C", tree, "-cf", archive, "."]) } catch {
            throw .failed("cannot run tar: \(error.reason) (apt-get install tar)")
        }
        let message = out.stderrText
        if out.status != 0 {
            try? FileManager.default.removeItem(atPath: archive)
            throw .failed("cannot archive \(tree): tar: \(message.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
}
