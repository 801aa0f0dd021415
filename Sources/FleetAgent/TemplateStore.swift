import FleetArchive
import FleetKernel
import FleetProtocol
import FleetRootfs
import FleetTree
import Foundation
import Glibc

/// Templates: read-only root file systems that guests overlay. Each lives in
/// templates/NAME/{rootfs,manifest.json}; it is built in a staging directory
/// and renamed into place, so a half-built template never appears.
public struct TemplateStore: Sendable {
    public let paths: AgentPaths

    public init(paths: AgentPaths) { self.paths = paths }

    public func list() -> [TemplateInfo] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: paths.templates)) ?? []
        return names.filter(Names.isValid).sorted().compactMap { try? info($0) }
    }

    public func info(_ name: String) throws(FleetError) -> TemplateInfo {
        try Names.validate(name, kind: "template")
        guard FileManager.default.fileExists(atPath: paths.templateManifest(name)) else {
            let known = list().map(\.name)
            throw .notFound("unknown template \(name) (known: \(known.isEmpty ? "none; build one with `vfleet-agent template build busybox NAME`" : known.joined(separator: ", ")))")
        }
        return try DecodedFileCache.readJSON(TemplateInfo.self, from: paths.templateManifest(name))
    }

    public func exists(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: paths.templateManifest(name))
    }

    /// Builds a small template from Debian's busybox-static package.
    public func buildBusybox(name: String) throws(FleetError) -> TemplateInfo {
        try install(name: name, source: "busybox") { (rootfs: String) throws(FleetError) in
            do throws(BusyboxRootfsError) { try BusyboxRootfs.build(at: rootfs) } catch {
                throw FleetError(error.missingBusybox ? .unsupported : .failed, error.description)
            }
        }
    }

    /// Builds a Debian template with debootstrap. Its output is kept next to
    /// the template (debootstrap.log) for when something in it goes wrong.
    public func buildDebian(name: String, options: DebianBuildOptions) throws(FleetError) -> TemplateInfo {
        let source = "debootstrap:\(options.suite)/\(options.variant)" + (options.include.isEmpty ? "" : "+" + options.include.joined(separator: ","))
        return try install(name: name, source: source) { (rootfs: String) throws(FleetError) in
            do throws(DebianRootfsError) {
                // Next to the rootfs, so it is renamed into place with the template.
                let log = (rootfs as NSString).deletingLastPathComponent + "/debootstrap.log"
                try DebianRootfs.build(at: rootfs, options: options, logPath: log)
            } catch {
                throw FleetError(error.missingTool ? .unsupported : .failed, "cannot build template \(name): \(error.description)")
            }
        }
    }

    /// Imports a directory or a tar archive (optionally compressed).
    public func importTree(name: String, from path: String, source: String? = nil) throws(FleetError) -> TemplateInfo {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw .notFound("cannot import template \(name): \(path) does not exist")
        }
        let source = source ?? "import:" + path
        if isDir.boolValue {
            return try install(name: name, source: source) { (rootfs: String) throws(FleetError) in
                do {
                    try TreeValidator.validate(directory: path)
                    try TreeCopier.copy(from: path, to: rootfs)
                } catch {
                    throw .invalid("cannot import template \(name) from \(path): \(error)")
                }
            }
        }
        return try install(name: name, source: source) { (rootfs: String) throws(FleetError) in
            do {
                try FileManager.default.createDirectory(atPath: rootfs, withIntermediateDirectories: false)
                _ = try TarImporter.extract(archive: path, into: rootfs)
            } catch {
                throw .invalid("cannot import template \(name): \(error)")
            }
        }
    }

    /// Removes a template no guest uses.
    public func remove(name: String, guests: [GuestRecord]) throws(FleetError) {
        _ = try info(name)
        let users = guests.filter { $0.spec.template == name }.map(\.spec.name)
        if !users.isEmpty {
            throw .conflict("cannot remove template \(name): guests \(users.joined(separator: ", ")) use it (destroy them first)")
        }
        let trash = paths.templates + "/.trash-\(name)-\(UUID().uuidString.prefix(8))"
        guard rename(paths.template(name), trash) == 0 else {
            throw .failed("cannot remove template \(name): \(String(cString: strerror(errno)))")
        }
        StatePermissions.set(trash, mode: StatePermissions.privateDirectory)
        try? TreeRemover.remove(trash)
    }

    /// Fills a staging directory with `fill`, digests it, writes the
    /// manifest and renames it into place; with `expectedDigest`, only if
    /// the tree has that digest (otherwise nothing is installed). `lock`,
    /// if given, is held for the last check and the rename only: a long
    /// fill (a stream from another host) holds up nothing else.
    func install(name: String, source: String, expectedDigest: String? = nil, lock: (() throws(FleetError) -> AgentLock)? = nil,
                 fill: (String) throws(FleetError) -> Void) throws(FleetError) -> TemplateInfo {
        try Names.validate(name, kind: "template")
        try paths.ensure()
        if exists(name) { throw .conflict("template \(name) exists already (remove it first with `template rm \(name)`)") }
        // What killed builds and transfers left behind goes first.
        LeftoverSweeper.sweep(paths.templates)
        let staging = paths.templates + "/" + LeftoverSweeper.stagingPrefix + "\(name)-\(UUID().uuidString.prefix(8))"
        do { try StatePermissions.makeDirectory(staging) } catch {
            throw .failed("cannot create \(staging): \(error)")
        }
        var done = false
        defer { if !done { try? TreeRemover.remove(staging) } }
        // Held while this process works there: a sweep leaves it alone.
        guard let claim = LeftoverSweeper.claim(staging) else {
            throw .failed("cannot lock \(staging): \(String(cString: strerror(errno)))")
        }
        defer { withExtendedLifetime(claim) {} }
        let rootfs = staging + "/rootfs"
        try fill(rootfs)
        // The template root must be traversable by guests whatever umask made it.
        chmod(rootfs, 0o755)
        let digest: TreeDigest
        do { digest = try TreeDigester.digest(root: rootfs) } catch {
            throw .failed("cannot digest template \(name): \(error)")
        }
        if let expectedDigest, digest.digest != expectedDigest {
            throw .failed("template \(name) arrived with digest \(digest.digest.prefix(12)), expected \(expectedDigest.prefix(12)): the transfer was corrupted; nothing was kept (retry)")
        }
        let style = InitDetector.style(rootfs: rootfs)
        let info = TemplateInfo(name: name, digest: digest.digest, fileCount: digest.fileCount,
                                totalBytes: digest.totalBytes, initStyle: style,
                                defaultInit: InitDetector.defaultInit(rootfs: rootfs), source: source,
                                createdAt: Date().timeIntervalSince1970)
        try AtomicFile.writeJSON(info, to: staging + "/manifest.json")
        let held = try lock?()
        defer { withExtendedLifetime(held) {} }
        if exists(name) { throw .conflict("template \(name) was created meanwhile by another agent process") }
        guard rename(staging, paths.template(name)) == 0 else {
            throw .failed("cannot install template \(name): \(String(cString: strerror(errno)))")
        }
        done = true
        return info
    }
}

extension TemplateStore {
    /// Installs a template from an archive streamed by the controller, and
    /// only if its tree digest is the one the controller announced.
    public func receive(name: String, archive: String, expectedDigest: String) throws(FleetError) -> TemplateInfo {
        try Names.validate(name, kind: "template")
        if exists(name) {
            let existing = try info(name)
            if existing.digest == expectedDigest { return existing }
            throw .conflict("template \(name) exists on this host with digest \(existing.digest.prefix(12)), not \(expectedDigest.prefix(12)) (remove it or use another name)")
        }
        let info = try importTree(name: name, from: archive, source: "controller")
        guard info.digest == expectedDigest else {
            try? remove(name: name, guests: [])
            throw .failed("template \(name) arrived with digest \(info.digest.prefix(12)), expected \(expectedDigest.prefix(12)): the transfer was corrupted; nothing was kept (retry)")
        }
        return info
    }
}
