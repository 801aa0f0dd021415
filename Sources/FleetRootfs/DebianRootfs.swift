import FleetTree
import Foundation
import Glibc

/// What to bootstrap: `debootstrap --variant=VARIANT --include=… SUITE … MIRROR`.
public struct DebianBuildOptions: Sendable, Equatable {
    public var suite: String
    public var variant: String
    public var include: [String]
    /// nil: the Debian archive this machine's apt uses.
    public var mirror: String?

    public init(suite: String = "bookworm", variant: String = "minbase", include: [String] = [], mirror: String? = nil) {
        self.suite = suite
        self.variant = variant
        self.include = include
        self.mirror = mirror
    }

    /// debootstrap's variants.
    public static let variants = ["minbase", "buildd", "fakechroot", "-"]

    /// Checks what goes on debootstrap's command line; package and suite
    /// names are Debian's ([a-z0-9][a-z0-9+.-]*).
    public func validate() throws(DebianRootfsError) {
        func isDebianName(_ s: String) -> Bool {
            guard let first = s.unicodeScalars.first, CharacterSet.lowercaseLetters.union(.decimalDigits).contains(first) else { return false }
            return s.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || "+.-".unicodeScalars.contains($0) }
        }
        guard isDebianName(suite) else { throw DebianRootfsError("suite \"\(suite)\" is not a Debian suite name (e.g. bookworm)") }
        guard Self.variants.contains(variant) else {
            throw DebianRootfsError("variant \"\(variant)\" is not one of debootstrap's (\(Self.variants.joined(separator: ", ")))")
        }
        for p in include where !isDebianName(p) {
            throw DebianRootfsError("\"\(p)\" is not a Debian package name (give --include a comma-separated list, e.g. systemd-sysv,openssh-server)")
        }
        if let mirror, !(mirror.hasPrefix("http://") || mirror.hasPrefix("https://") || mirror.hasPrefix("file:/")) {
            throw DebianRootfsError("mirror \"\(mirror)\" is not an http(s):// or file:/ URL")
        }
    }
}

public struct DebianRootfsError: Error, CustomStringConvertible, Sendable {
    public let description: String
    /// true when the host lacks debootstrap (an install problem, not a bug).
    public let missingTool: Bool

    public init(_ description: String, missingTool: Bool = false) {
        self.description = description
        self.missingTool = missingTool
    }
}

/// A Debian root file system made by debootstrap, unmodified except for
/// what belongs to the build host rather than to Debian: the device nodes
/// (vfleet gives each guest its /dev) and the build host's /etc/hostname
/// (a guest's hostname is its own).
public enum DebianRootfs {
    static let candidates = ["/usr/sbin/debootstrap", "/sbin/debootstrap", "/usr/bin/debootstrap"]

    /// Runs debootstrap into `rootfs` (which must not exist); its output goes
    /// to `logPath`, whose tail is quoted when it fails.
    public static func build(at rootfs: String, options: DebianBuildOptions, logPath: String) throws(DebianRootfsError) {
        try options.validate()
        guard let tool = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw DebianRootfsError("cannot build a Debian template: debootstrap is not installed (apt-get install debootstrap)", missingTool: true)
        }
        let mirror = options.mirror ?? AptSources.debianMirrorOfThisHost() ?? "http://deb.debian.org/debian"
        var args = ["--variant=\(options.variant)"]
        if options.variant == "-" { args = [] }
        if !options.include.isEmpty { args.append("--include=" + options.include.joined(separator: ",")) }
        args += [options.suite, rootfs, mirror]

        guard FileManager.default.createFile(atPath: logPath, contents: nil),
              let log = FileHandle(forWritingAtPath: logPath) else {
            throw DebianRootfsError("cannot create the debootstrap log \(logPath)")
        }
        defer { try? log.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = args
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        var env = ProcessInfo.processInfo.environment
        env["DEBIAN_FRONTEND"] = "noninteractive"
        env["LC_ALL"] = "C"
        process.environment = env
        do { try process.run() } catch {
            throw DebianRootfsError("cannot run \(tool): \(error.localizedDescription)")
        }
        process.waitUntilExit()
        // debootstrap mounts /proc and /sys in the target while it works;
        // a killed or failed run can leave them behind.
        unmountBelow(rootfs)
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw DebianRootfsError("debootstrap \(options.suite) from \(mirror) failed (exit \(process.terminationStatus)): \(tail(of: logPath)) (full log: \(logPath))")
        }
        try removeBuildHostLeftovers(rootfs)
    }

    static func removeBuildHostLeftovers(_ rootfs: String) throws(DebianRootfsError) {
        let fm = FileManager.default
        let dev = rootfs + "/dev"
        for entry in (try? fm.contentsOfDirectory(atPath: dev)) ?? [] {
            do { try fm.removeItem(atPath: dev + "/" + entry) } catch {
                throw DebianRootfsError("cannot remove \(dev)/\(entry) made by debootstrap: \(error.localizedDescription)")
            }
        }
        try? fm.removeItem(atPath: rootfs + "/etc/hostname")
        let archives = rootfs + "/var/cache/apt/archives"
        for entry in (try? fm.contentsOfDirectory(atPath: archives)) ?? [] where entry.hasSuffix(".deb") {
            try? fm.removeItem(atPath: archives + "/" + entry)
        }
    }

    /// Detaches every mount below `directory` (debootstrap's /proc and /sys
    /// in a tree it was building), deepest first.
    public static func unmountBelow(_ directory: String) {
        for p in mountPoints(below: directory).sorted(by: { $0.count > $1.count }) { umount2(p, Int32(MNT_DETACH)) }
    }

    /// The mount points below `directory` in this mount namespace.
    ///
    /// Read as bytes and decoded leniently: one mount anywhere on the host
    /// at a path that is not UTF-8 made a strict decoding fail, and the
    /// answer "no mounts" then let a sweep remove files inside a mounted
    /// file system (seen in CI with many test mounts).
    public static func mountPoints(below directory: String) -> [String] {
        guard let bytes = readProcFile("/proc/self/mountinfo") else { return [] }
        let text = String(decoding: bytes, as: UTF8.self)
        return text.split(separator: "\n").compactMap { line -> String? in
            let f = line.split(separator: " ")
            guard f.count > 4 else { return nil }
            let p = String(f[4])
            return p.hasPrefix(directory + "/") ? p : nil
        }
    }

    /// A /proc file whole (its size reads as 0, so read to the end).
    static func readProcFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { return out }
            out += buffer[0..<n]
        }
    }

    static func tail(of path: String) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "no output" }
        let lines = text.split(separator: "\n").suffix(4)
        return lines.joined(separator: " / ")
    }
}
