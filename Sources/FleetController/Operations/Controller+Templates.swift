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
        /// How it went: "direct from host1", "relay", "relay (direct failed: …)".
        public var transport: String?
    }

    /// `vfleet template push`: hosts lacking the template's digest get it
    /// from a host that has it, agent to agent (`transport` as a move's), or
    /// from the controller's archive; the receiving agent verifies the digest.
    public func pushTemplate(_ name: String, to hostNames: [String], transport: LayerTransportMode = .auto) throws(FleetError) -> [PushResult] {
        let template = try store.template(name)
        let hosts = try hostNames.map { (n: String) throws(FleetError) in try store.host(n) }
        let holders = try TemplateDelivery.Holders.of(name, in: store)
        return parallelMap(hosts, maxParallel: settings.maxParallelHosts) { [self] host in
            let started = Date()
            do throws(FleetError) {
                let outcome = try recorder.record("template.push", host: host.name, template: name) { (note: inout EventNote) throws(FleetError) in
                    let outcome = try ensureTemplate(template, on: host, mode: transport, holders: holders)
                    note.detail = outcome.sent ? "sent \(ByteSize.format(outcome.bytes)), \(outcome.transport ?? "relay")" : "the host had it already"
                    return outcome
                }
                return PushResult(host: host.name, sent: outcome.sent, bytes: outcome.bytes, seconds: Date().timeIntervalSince(started),
                                  error: nil, transport: outcome.transport)
            } catch {
                return PushResult(host: host.name, sent: false, bytes: 0, seconds: Date().timeIntervalSince(started), error: error)
            }
        }
    }

    /// Makes sure `host` has `template` (by digest): asks the agent, and if
    /// it lacks it, has a host that has it send it (`mode`: see
    /// TemplateDelivery), or sends it from here.
    @discardableResult
    func ensureTemplate(_ template: StoredTemplate, on host: StoredHost, mode: LayerTransportMode = .auto,
                        holders: TemplateDelivery.Holders? = nil) throws(FleetError) -> TemplateDelivery.Outcome {
        let known: TemplateDelivery.Holders
        if let holders { known = holders } else { known = try TemplateDelivery.Holders.of(template.name, in: store) }
        let senders = TemplateDelivery.senders(of: template, to: host.name, preferred: nil, holders: known)
        return try TemplateDelivery.ensure(template, on: host, via: agents, mode: mode, senders: senders)
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
