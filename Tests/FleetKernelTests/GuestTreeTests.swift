@testable import FleetKernel
import FleetSystem
import FleetTestSupport
import Foundation
import Glibc
import Testing

/// A guest's tree read from the host: nothing in it may lead the reader out
/// of it, hang it or swamp it. Each case runs with openat2 and with the
/// component walk that kernels before 5.6 get.
@Suite(.tags(.root)) struct GuestTreeTests {
    /// A tree under a fresh directory, next to a "host" file outside it.
    func withTree(_ body: (String, String) throws -> Void) throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("vfleet-guesttree-\(UUID().uuidString.prefix(8))").path
        let root = base + "/root"
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        try "host secret\n".write(toFile: base + "/host-file", atomically: true, encoding: .utf8)
        try "root:x:0:0:root:/root:/bin/sh\n".write(toFile: root + "/etc/passwd", atomically: true, encoding: .utf8)
        try body(root, base + "/host-file")
    }

    func tree(_ root: String, walk: Bool) throws -> GuestTree {
        let t = try GuestTree(directory: root)
        t.componentWalkOnly = walk
        return t
    }

    func text(_ t: GuestTree, _ path: String, limit: Int = 1 << 20) -> String? {
        (try? t.read(path, limit: limit)).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test(arguments: [false, true]) func aRegularFileIsRead(walk: Bool) throws {
        try withTree { root, _ in
            let t = try tree(root, walk: walk)
            #expect(text(t, "/etc/passwd") == "root:x:0:0:root:/root:/bin/sh\n")
            #expect(text(t, "etc/passwd") == "root:x:0:0:root:/root:/bin/sh\n")
            #expect(t.isRegularFile("/etc/passwd"))
            #expect(t.isDirectory("/etc"))
        }
    }

    @Test(arguments: [false, true]) func linksAndDotDotNeverLeaveTheTree(walk: Bool) throws {
        try withTree { root, hostFile in
            let t = try tree(root, walk: walk)
            #expect(symlink(hostFile, root + "/abs") == 0)
            #expect(symlink("../host-file", root + "/rel") == 0)
            #expect(symlink((hostFile as NSString).deletingLastPathComponent, root + "/outdir") == 0)
            for path in ["/abs", "/rel", "/outdir/host-file", "/../host-file", "/etc/../../host-file"] {
                #expect(text(t, path) == nil, "\(path) was read")
                #expect(!t.isRegularFile(path), "\(path) resolved to a file")
            }
        }
    }

    @Test(arguments: [false, true]) func aFifoADeviceAndAnOversizedFileAreRefusedPromptly(walk: Bool) throws {
        try withTree { root, _ in
            let t = try tree(root, walk: walk)
            #expect(mkfifo(root + "/fifo", 0o644) == 0)
            #expect(mknod(root + "/null", S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0)
            let started = Monotonic.now
            #expect(text(t, "/fifo") == nil)
            #expect(text(t, "/null") == nil)
            #expect(Monotonic.now - started < 1)
            #expect(text(t, "/etc/passwd", limit: 10) == nil)
            #expect(text(t, "/etc/passwd", limit: 30) != nil)
        }
    }

    /// A guest's own mount (a bind of a host file over one of its files)
    /// is not followed.
    @Test(arguments: [false, true]) func aMountInTheTreeIsNotCrossed(walk: Bool) throws {
        try withTree { root, hostFile in
            let t = try tree(root, walk: walk)
            let dir = root + "/mnt"
            #expect(mkdir(dir, 0o755) == 0)
            guard mount("tmpfs", dir, "tmpfs", 0, "size=64k") == 0 else {
                Issue.record("cannot mount a tmpfs (not root?): \(String(cString: strerror(errno)))")
                return
            }
            defer { umount2(dir, Int32(MNT_DETACH)) }
            try "on another mount\n".write(toFile: dir + "/file", atomically: false, encoding: .utf8)
            #expect(text(t, "/mnt/file") == nil)
            _ = hostFile
        }
    }
}

extension GuestTreeTests {
    @Test(arguments: [false, true]) func linkTargetsAndExistenceAreReadInsideTheTree(walk: Bool) throws {
        try withTree { root, hostFile in
            let t = try tree(root, walk: walk)
            #expect(mkdir(root + "/sbin", 0o755) == 0)
            #expect(symlink("/lib/systemd/systemd", root + "/sbin/init") == 0)
            #expect(t.linkTarget("/sbin/init") == "/lib/systemd/systemd")
            #expect(t.exists("/sbin/init"))
            #expect(t.linkTarget("/etc/passwd") == nil)
            #expect(!t.exists("/nothing"))
            // A directory link out of the tree is not followed to the host's link.
            let hostDir = (hostFile as NSString).deletingLastPathComponent
            #expect(symlink(hostDir + "/root/sbin", hostDir + "/host-sbin") == 0)
            #expect(symlink(hostDir, root + "/out") == 0)
            #expect(t.linkTarget("/out/host-sbin") == nil)
            #expect(!t.exists("/out/host-file"))
        }
    }
}
