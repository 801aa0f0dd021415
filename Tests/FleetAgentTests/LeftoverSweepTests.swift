@testable import FleetAgent
import FleetRootfs
import FleetTree
import Foundation
import Glibc
import Testing

extension AgentIntegration {
    /// A killed `template build debian` (or template transfer) leaves its
    /// staging directory, with debootstrap's mounts in it, or a half-written
    /// archive; the next build or import removes them, and never what a live
    /// process still works on.
    @Suite struct LeftoverSweep {
        static func makeOld(_ path: String) {
            var times = [timespec(tv_sec: time(nil) - 600, tv_nsec: 0), timespec(tv_sec: time(nil) - 600, tv_nsec: 0)]
            _ = utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW)
        }

        @Test func abandonedStagingAndArchivesGoLiveAndRecentOnesStay() throws {
            try withTestAgent(buildTemplate: false) { t in
                let templates = t.agent.paths.templates
                try FileManager.default.createDirectory(atPath: templates, withIntermediateDirectories: true)
                // A killed debootstrap: its /proc still mounted in the staging rootfs.
                let abandoned = templates + "/.staging-old-aaaa1111"
                try FileManager.default.createDirectory(atPath: abandoned + "/rootfs/proc", withIntermediateDirectories: true)
                #expect(mount("tmpfs", abandoned + "/rootfs/proc", "tmpfs", 0, nil) == 0)
                defer { umount2(abandoned + "/rootfs/proc", Int32(MNT_DETACH)) }
                #expect(FileManager.default.createFile(atPath: abandoned + "/rootfs/proc/inside-the-mount", contents: Data("x".utf8)))
                Self.makeOld(abandoned)
                // A live build elsewhere: old, but its lock is held.
                let live = templates + "/.staging-live-bbbb2222"
                try FileManager.default.createDirectory(atPath: live + "/rootfs", withIntermediateDirectories: true)
                Self.makeOld(live)
                let held = try #require(LeftoverSweeper.claim(live))
                // Just made, not yet locked by its maker: the grace keeps it.
                let recent = templates + "/.staging-new-cccc3333"
                try FileManager.default.createDirectory(atPath: recent, withIntermediateDirectories: true)
                // A transfer cut by a killed agent, and one still being written.
                let partial = templates + "/.incoming-dddd4444.tar"
                #expect(FileManager.default.createFile(atPath: partial, contents: Data(count: 4096)))
                Self.makeOld(partial)
                let receiving = templates + "/.incoming-eeee5555.tar"
                #expect(FileManager.default.createFile(atPath: receiving, contents: Data(count: 4096)))
                Self.makeOld(receiving)
                let receivingHeld = try #require(LeftoverSweeper.claim(receiving))
                // Something else in templates/ is never touched.
                let other = templates + "/.keep-me"
                try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
                Self.makeOld(other)

                // The next build sweeps before it stages its own tree.
                _ = try t.agent.buildTemplate(kind: "busybox", name: "fresh")
                #expect(!FileManager.default.fileExists(atPath: abandoned))
                #expect(DebianRootfs.mountPoints(below: abandoned).isEmpty)
                #expect(!FileManager.default.fileExists(atPath: partial))
                for kept in [live + "/rootfs", recent, receiving, other] {
                    #expect(FileManager.default.fileExists(atPath: kept), "\(kept) was removed")
                }
                #expect(t.agent.templates.exists("fresh"))
                let left = try FileManager.default.contentsOfDirectory(atPath: templates).filter { $0.hasPrefix(".staging-") }.sorted()
                #expect(left == [".staging-live-bbbb2222", ".staging-new-cccc3333"])

                // Both claims were held until here.
                withExtendedLifetime(held) {}
                withExtendedLifetime(receivingHeld) {}
            }
        }

        @Test func aLockReleasedByItsHolderMakesTheEntrySweepable() throws {
            try withTestAgent(buildTemplate: false) { t in
                let templates = t.agent.paths.templates
                try FileManager.default.createDirectory(atPath: templates, withIntermediateDirectories: true)
                let staging = templates + "/.staging-x-ffff6666"
                try FileManager.default.createDirectory(atPath: staging + "/rootfs/etc", withIntermediateDirectories: true)
                Self.makeOld(staging)
                var held = LeftoverSweeper.claim(staging)
                #expect(held != nil)
                // A second claim fails while the first holds (another process's view).
                let child = try Process.run(URL(fileURLWithPath: "/usr/bin/flock"), arguments: ["-n", staging, "true"])
                child.waitUntilExit()
                #expect(child.terminationStatus != 0, "flock -n got a lock the sweeper holds")
                #expect(LeftoverSweeper.sweep(templates).isEmpty)
                #expect(held != nil)
                held = nil
                #expect(LeftoverSweeper.sweep(templates) == [staging])
                #expect(!FileManager.default.fileExists(atPath: staging))
                // Recent entries are kept until their grace is over.
                let recent = templates + "/.staging-y-77778888"
                try FileManager.default.createDirectory(atPath: recent, withIntermediateDirectories: true)
                #expect(LeftoverSweeper.sweep(templates).isEmpty)
                #expect(LeftoverSweeper.sweep(templates, now: Date().timeIntervalSince1970 + LeftoverSweeper.grace + 1) == [recent])
            }
        }

        /// A mount anywhere at a path that is not UTF-8 (another program's,
        /// another test's) must not hide the mounts below a staging
        /// directory: the sweep would then remove inside a mounted file
        /// system and leave the directory behind (seen in CI).
        @Test func aMountElsewhereAtANonUTF8PathDoesNotHideTheOnesBelow() throws {
            let base = "/var/tmp/vfleet-mountinfo-\(getpid())"
            let staging = base + "/.staging-x/rootfs/proc"
            try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: base) }
            // base/odd-\xff: a name Swift cannot even spell as a String.
            let odd: [CChar] = (Array(base.utf8) + Array("/odd-".utf8) + [0xFF, 0]).map { CChar(bitPattern: $0) }
            #expect(mkdir(odd, 0o700) == 0)
            try #require(mount("tmpfs", odd, "tmpfs", 0, nil) == 0)
            defer { umount2(odd, Int32(MNT_DETACH)) }
            try #require(mount("tmpfs", staging, "tmpfs", 0, nil) == 0)
            defer { umount2(staging, Int32(MNT_DETACH)) }
            #expect(DebianRootfs.mountPoints(below: base + "/.staging-x") == [staging])
        }
    }
}
