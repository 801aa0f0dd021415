import FleetAgent
import FleetKernel
import FleetProtocol
import FleetTreeStream
import Foundation
import FleetTestSupport
import Testing

extension AgentIntegration {
    /// --disk: a guest that writes without end is refused by the kernel
    /// inside the guest, and the host's state file system grows by at most
    /// the limit (issue 15, item 9).
    @Suite struct DiskLimits {
        static let limit: UInt64 = 16 << 20

        /// Bytes the host's file system holds for everything under `path`.
        static func allocated(_ path: String) -> UInt64 {
            var total: UInt64 = 0
            var st = stat()
            if lstat(path, &st) == 0 { total += UInt64(st.st_blocks) * 512 }
            guard st.st_mode & S_IFMT == S_IFDIR else { return total }
            for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
                var sub = stat()
                // The disk's own mount is the guest's file system, not the host's.
                if lstat(path + "/" + name, &sub) == 0, sub.st_dev != st.st_dev { continue }
                total += allocated(path + "/" + name)
            }
            return total
        }

        /// Loop devices whose backing file lies under `root`.
        static func loopDevices(under root: String) -> [String] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/block")) ?? []
            return names.filter { $0.hasPrefix("loop") }.filter { name in
                let file = (try? String(contentsOfFile: "/sys/block/\(name)/loop/backing_file", encoding: .utf8)) ?? ""
                return file.hasPrefix(root + "/")
            }
        }

        static func mounts(under root: String) -> [String] {
            LayerDisk.mountPoints().filter { $0.hasPrefix(root + "/") }
        }

        @Test(arguments: [true, false])
        func aGuestThatFillsItsDiskIsRefusedInsideAndKeepsRunning(userns: Bool) throws {
            try withTestAgent { t in
                try t.makeGuest("dk", limits: GuestLimits(diskBytes: Self.limit), userns: userns)
                let dir = t.agent.paths.guest("dk")
                let before = Self.allocated(dir)
                // Nothing on the guest's disk is a device or setuid for the host.
                let options = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8).split(separator: "\n")
                    .first { $0.split(separator: " ").count > 5 && $0.split(separator: " ")[4] == t.agent.paths.guestDiskMount("dk") }
                    .map { String($0.split(separator: " ")[5]) } ?? ""
                #expect(options.contains("nodev") && options.contains("nosuid"), "\(options)")
                // The disk's root lets only search through; mkfs's skeleton is gone.
                var root = stat()
                #expect(stat(t.agent.paths.guestDiskMount("dk"), &root) == 0 && root.st_mode & 0o7777 == 0o711)
                #expect(!FileManager.default.fileExists(atPath: dir + "/.layer-skeleton"))
                // The loop device does direct I/O (else every block is cached twice).
                let loops = Self.loopDevices(under: t.root)
                #expect(loops.count == 1)
                for loop in loops {
                    #expect((try? String(contentsOfFile: "/sys/block/\(loop)/loop/dio", encoding: .utf8))?.hasPrefix("1") == true)
                }
                // The attack: write 40M into a 16M disk.
                let fill = try t.run("dk", "dd if=/dev/zero of=/fill bs=1M count=40 2>&1; echo rc=$?")
                #expect(fill.stdout.contains("No space left on device"), "\(fill.stdout)")
                #expect(!fill.stdout.contains("rc=0"), "\(fill.stdout)")
                // Nothing spilled: the layer is on the disk, the image never
                // takes more than its size, nothing of the guest's writes is
                // on the host's file system outside it.
                #expect(!FileManager.default.fileExists(atPath: t.agent.paths.guestUpper("dk")))
                var st = stat()
                #expect(stat(t.agent.paths.guestDiskImage("dk"), &st) == 0)
                #expect(UInt64(st.st_blocks) * 512 <= Self.limit)
                let after = Self.allocated(dir)
                #expect(after - min(after, before) <= Self.limit, "the guest's directory grew by \(after - min(after, before)) bytes")
                // The guest goes on: it frees room and writes again.
                #expect(try t.agent.status("dk").state == .running)
                let again = try t.run("dk", "rm /fill && dd if=/dev/zero of=/again bs=1M count=4 2>/dev/null && cat /again | wc -c")
                #expect(again.exitCode == 0, "\(again.stderr)")
                #expect(again.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == String(4 << 20))
                // A stopped guest holds no mount and no loop device; the next start brings its files back.
                _ = try t.agent.stop("dk", timeout: 1)
                #expect(Self.mounts(under: t.root).isEmpty)
                // The kernel frees an autoclear loop device after the last
                // unmount, in its own time: over 5 s once under a full run's load.
                #expect(eventually(30) { Self.loopDevices(under: t.root).isEmpty })
                _ = try t.agent.start("dk")
                #expect(try t.run("dk", "wc -c < /again").stdout.trimmingCharacters(in: .whitespacesAndNewlines) == String(4 << 20))
                // destroy leaves no mount and no loop device.
                try t.agent.destroy("dk", force: true)
                #expect(Self.mounts(under: t.root).isEmpty)
                #expect(eventually(30) { Self.loopDevices(under: t.root).isEmpty }, "\(Self.loopDevices(under: t.root))")
            }
        }

        @Test func aGuestWithoutDiskHasNoImageAndNoLimit() throws {
            try withTestAgent { t in
                try t.makeGuest("nodk")
                let out = try t.run("nodk", "dd if=/dev/zero of=/fill bs=1M count=24 2>/dev/null && wc -c < /fill")
                #expect(out.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == String(24 << 20))
                #expect(!FileManager.default.fileExists(atPath: t.agent.paths.guestDiskImage("nodk")))
                #expect(FileManager.default.fileExists(atPath: t.agent.paths.guestUpper("nodk") + "/fill"))
                #expect(Self.mounts(under: t.root).isEmpty)
            }
        }

        /// A move's agent half: guest.stage gives the incoming copy a disk
        /// of the guest's size, the layer arrives in it, adopt keeps it,
        /// and the limit holds for the adopted guest.
        @Test func aMovedLayerKeepsItsDiskAndItsLimit() throws {
            try withTestAgent { t in
                try t.makeGuest("src", limits: GuestLimits(diskBytes: Self.limit))
                _ = try t.run("src", "echo kept > /kept && dd if=/dev/zero of=/five bs=1M count=5 2>/dev/null")
                _ = try t.agent.stop("src", timeout: 1)
                defer { t.agent.discardStaging("dst") }
                var sink = MemorySink()
                _ = try t.agent.exportLayer("src", since: nil, to: &sink)
                try t.agent.stageLayerDisk("dst", bytes: Self.limit)
                var source = MemorySource(sink.bytes)
                _ = try t.agent.importLayer("dst", from: &source)
                let digest = try t.agent.layerDigest("src", staging: false)
                #expect(try t.agent.layerDigest("dst", staging: true) == digest)
                // adopt refuses a spec whose --disk differs from the staged disk's.
                #expect(throws: FleetError.self) {
                    _ = try t.agent.adopt(GuestSpec(name: "dst", template: TestAgent.template), expectedDigest: digest.digest)
                }
                _ = try t.agent.adopt(GuestSpec(name: "dst", template: TestAgent.template, limits: GuestLimits(diskBytes: Self.limit)),
                                      expectedDigest: digest.digest)
                #expect(Self.mounts(under: t.root).isEmpty)
                _ = try t.agent.start("dst")
                #expect(try t.run("dst", "cat /kept").stdout == "kept\n")
                let fill = try t.run("dst", "dd if=/dev/zero of=/fill bs=1M count=40 2>&1")
                #expect(fill.stdout.contains("No space left on device"), "\(fill.stdout)")
            }
        }

        /// A layer larger than the destination's disk is refused while it
        /// arrives, and nothing of it stays.
        @Test func aLayerLargerThanTheDiskIsRefusedWithAClearError() throws {
            try withTestAgent { t in
                try t.makeGuest("big", start: false)
                let upper = t.agent.paths.guestUpper("big")
                try Data(repeating: 7, count: 24 << 20).write(to: URL(fileURLWithPath: upper + "/big"))
                defer { t.agent.discardStaging("dst") }
                var sink = MemorySink()
                _ = try t.agent.exportLayer("big", since: nil, to: &sink)
                try t.agent.stageLayerDisk("dst", bytes: Self.limit)
                var source = MemorySource(sink.bytes)
                do {
                    _ = try t.agent.importLayer("dst", from: &source)
                    Issue.record("a 24M layer was received into a 16M disk")
                } catch {
                    #expect("\(error)".contains("does not fit its disk limit of 16M"), "\(error)")
                }
                #expect(!FileManager.default.fileExists(atPath: t.agent.paths.guests + "/.incoming-dst"))
                #expect(Self.mounts(under: t.root).isEmpty)
                #expect(eventually(30) { Self.loopDevices(under: t.root).isEmpty })
            }
        }

        @Test func aStartThatFailsLeavesNoMount() throws {
            try withTestAgent { t in
                try t.makeGuest("bad", limits: GuestLimits(diskBytes: Self.limit), initCommand: ["/no/such/init"], start: false)
                #expect(throws: FleetError.self) { _ = try t.agent.start("bad") }
                #expect(Self.mounts(under: t.root).isEmpty)
                #expect(eventually(30) { Self.loopDevices(under: t.root).isEmpty })
            }
        }

        @Test func aDiskBelowTheMinimumIsRefusedBeforeAnythingIsMade() throws {
            try withTestAgent { t in
                #expect(throws: FleetError.self) {
                    _ = try t.agent.create(GuestSpec(name: "tiny", template: TestAgent.template, limits: GuestLimits(diskBytes: 1 << 20)))
                }
                #expect(!FileManager.default.fileExists(atPath: t.agent.paths.guest("tiny")))
            }
        }
    }
}
