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
                let sent = try ensureTemplate(template, on: host)
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
        let present = try connections.call(host, RPCMethod.templateList, EmptyParams(), as: [TemplateInfo].self)
        if let same = present.first(where: { $0.name == template.name }) {
            if same.digest == template.digest { return false }
            throw .conflict("host \(host.name) has another template named \(template.name) (digest \(same.digest.prefix(12)), controller's \(template.digest.prefix(12))); remove it there or rename")
        }
        let client = try connections.client(for: host)
        let channel = try client.openBulkChannel()
        defer { channel.close() }
        let params = TemplateReceiveParams(name: template.name, digest: template.digest, bytes: template.archiveBytes)
        let request = RPCRequest(id: .number(1_000_000), method: RPCMethod.templateReceive, params: try JSONValue.encoding(params))
        guard let line = try? RPCCoding.encoder.encode(request) else { throw .failed("cannot encode template.receive") }
        let fd = open(template.archivePath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .failed("cannot read template archive \(template.archivePath): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        do {
            try channel.write(line + Data([10]))
            var buffer = [UInt8](repeating: 0, count: 256 * 1024)
            var sent: UInt64 = 0
            while sent < template.archiveBytes {
                let n = read(fd, &buffer, buffer.count)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw FleetError.failed("template archive \(template.archivePath) is shorter than recorded") }
                try channel.write(Data(buffer[0..<n]))
                sent += UInt64(n)
            }
            // Extraction and digest take time on big templates.
            let timeout = max(settings.callTimeout, Double(template.archiveBytes) / 5_000_000 + 30)
            guard let reply = try channel.readLine(timeout: timeout),
                  let response = try? RPCCoding.decoder.decode(RPCResponse.self, from: Data(reply.utf8)) else {
                throw FleetError(.unreachable, "host \(host.name): no answer to template.receive")
            }
            _ = try AgentClient.decode(response, as: TemplateInfo.self, host: host.name, method: RPCMethod.templateReceive)
        } catch let e as FleetError {
            throw e
        } catch let e as SSHError {
            throw FleetError(.unreachable, "host \(host.name): sending template \(template.name) failed: \(e.message)")
        } catch {
            throw .failed("host \(host.name): sending template \(template.name) failed: \(error)")
        }
        return true
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
