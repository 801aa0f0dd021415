import FleetRootfs
import FleetTestSupport
import FleetTree
import Foundation
import Glibc
import Testing

@Suite(.tags(.unit)) struct DebianSources {
    @Test func deb822TakesTheMainArchiveNotSecurityOrUpdates() {
        let sources = """
            Types: deb
            URIs: http://deb.debian.org/debian-security
            Suites: bookworm-security
            Components: main

            Types: deb deb-src
            # a comment line
            URIs: http://mirror.example/debian
            Suites: bookworm-updates bookworm
            Components: main
            """
        #expect(AptSources.debianMirror(files: [("debian.sources", sources)]) == "http://mirror.example/debian")
    }

    @Test func disabledStanzasSourceOnlyEntriesAndOtherFilesAreSkipped() {
        let disabled = "Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\nEnabled: no\n"
        let sourceOnly = "Types: deb-src\nURIs: http://src.example/debian\nSuites: bookworm\n"
        let renamed = "Types: deb\nURIs: http://renamed.example/debian\nSuites: bookworm\n"
        let files = [("a.sources", disabled), ("b.sources", sourceOnly), ("c.sources.disabled-by-farm", renamed)]
        #expect(AptSources.debianMirror(files: files) == nil)
    }

    @Test func oneLineFormatWithOptions() {
        let list = """
            # deb http://commented.example/debian bookworm main
            deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] https://one.example/debian bookworm main contrib
            deb http://two.example/debian bookworm main
            """
        #expect(AptSources.debianMirror(files: [("sources.list", list)]) == "https://one.example/debian")
        #expect(AptSources.debianMirror(files: [("sources.list", "deb http://security.debian.org/ bookworm-security main")]) == nil)
    }

    @Test func buildOptionsAreCheckedBeforeDebootstrapSeesThem() {
        #expect(throws: DebianRootfsError.self) { try DebianBuildOptions(suite: "bookworm; rm -rf /").validate() }
        #expect(throws: DebianRootfsError.self) { try DebianBuildOptions(variant: "huge").validate() }
        #expect(throws: DebianRootfsError.self) { try DebianBuildOptions(include: ["--foreign"]).validate() }
        #expect(throws: DebianRootfsError.self) { try DebianBuildOptions(mirror: "ftp://old.example/debian").validate() }
        #expect(throws: Never.self) { try DebianBuildOptions(include: ["systemd-sysv", "libstdc++6", "openssh-server"]).validate() }
    }
}

@Suite(.tags(.root)) struct OwnershipShift {
    static func acl(_ entries: [(UInt16, UInt16, UInt32)]) -> [UInt8] {
        var b: [UInt8] = [2, 0, 0, 0]
        for (tag, perm, id) in entries {
            b += [UInt8(tag & 0xff), UInt8(tag >> 8), UInt8(perm & 0xff), UInt8(perm >> 8)]
            b += (0..<4).map { UInt8(truncatingIfNeeded: id >> (8 * UInt32($0))) }
        }
        return b
    }

    /// VFS_CAP_REVISION_3 | effective, permitted, inheritable 0, rootid.
    static func capabilityV3(permitted: UInt32, rootid: UInt32) -> [UInt8] {
        func le(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }
        return le(0x0300_0001) + le(permitted) + le(0) + le(0) + le(0) + le(rootid)
    }

    static func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }

    @Test func everyIDKeepsItsPlaceInItsRangeAndSetIDBitsSurvive() throws {
        let dir = try TestDirectory.make()
        defer { TestDirectory.remove(dir) }
        try TestDirectory.makeDirectory(dir + "/d")
        try TestDirectory.writeFile(dir + "/d/f", "x", mode: 0o644)
        try TestDirectory.writeFile(dir + "/d/suid", "x", mode: 0o4755)
        try TestDirectory.writeFile(dir + "/d/host-ids", "x")
        try TestDirectory.symlink(dir + "/d/link", to: "/etc/passwd")
        let from: UInt32 = 6_553_600, to: UInt32 = 7_340_032
        // The root as a move leaves it (owned by host root), the rest in the old range.
        #expect(chown(dir + "/d", from + 1000, from + 1000) == 0)
        #expect(chown(dir + "/d/f", from + 33, from + 4) == 0)
        #expect(chown(dir + "/d/suid", from, from + 5) == 0)
        #expect(chmod(dir + "/d/suid", 0o4755) == 0)
        #expect(chown(dir + "/d/host-ids", 12, 13) == 0)
        #expect(lchown(dir + "/d/link", from, from) == 0)

        let summary = try TreeOwnershipShifter.rebase(root: dir, to: to)
        #expect(summary.entries == 6)
        #expect(summary.changed == 6)
        func owner(_ p: String) -> (UInt32, UInt32, mode_t) {
            var st = stat()
            lstat(p, &st)
            return (st.st_uid, st.st_gid, st.st_mode & 0o7777)
        }
        #expect(owner(dir).0 == to && owner(dir).1 == to)
        #expect(owner(dir + "/d").0 == to + 1000)
        #expect(owner(dir + "/d/f") == (to + 33, to + 4, 0o644))
        #expect(owner(dir + "/d/suid") == (to, to + 5, 0o4755))
        // Written without a user namespace: ids of the host's range 0.
        #expect(owner(dir + "/d/host-ids") == (to + 12, to + 13, 0o644))
        #expect(owner(dir + "/d/link").0 == to)
        // The link was not followed.
        #expect(owner("/etc/passwd").0 == 0)

        // ACL entries and a user namespace's file capability move with the owners.
        let from2: UInt32 = to, to2: UInt32 = 8_192_000
        try TestDirectory.writeFile(dir + "/d/acl", "x")
        try TestDirectory.writeFile(dir + "/d/cap", "x", mode: 0o755)
        #expect(chown(dir + "/d/acl", from2, from2) == 0 && chown(dir + "/d/cap", from2, from2) == 0)
        let acl = Self.acl([(0x01, 6, UInt32.max), (0x02, 4, from2 + 1000), (0x04, 4, UInt32.max), (0x08, 4, from2 + 4),
                            (0x10, 6, UInt32.max), (0x20, 4, UInt32.max)])
        let cap = Self.capabilityV3(permitted: 1 << 13, rootid: from2)
        _ = try Shell.run("python3 -c \"import os,sys; os.setxattr(sys.argv[1], 'system.posix_acl_access', bytes.fromhex(sys.argv[2])); os.setxattr(sys.argv[3], 'security.capability', bytes.fromhex(sys.argv[4]))\" '\(dir)/d/acl' \(Self.hex(acl)) '\(dir)/d/cap' \(Self.hex(cap))")
        _ = try TreeOwnershipShifter.rebase(root: dir, to: to2)
        let movedACL = try Shell.run("python3 -c \"import os,sys; print(os.getxattr(sys.argv[1], 'system.posix_acl_access').hex())\" '\(dir)/d/acl'")
        #expect(movedACL.trimmingCharacters(in: .whitespacesAndNewlines)
                == Self.hex(Self.acl([(0x01, 6, UInt32.max), (0x02, 4, to2 + 1000), (0x04, 4, UInt32.max), (0x08, 4, to2 + 4),
                                      (0x10, 6, UInt32.max), (0x20, 4, UInt32.max)])))
        let movedCap = try Shell.run("python3 -c \"import os,sys; print(os.getxattr(sys.argv[1], 'security.capability').hex())\" '\(dir)/d/cap'")
        #expect(movedCap.trimmingCharacters(in: .whitespacesAndNewlines) == Self.hex(Self.capabilityV3(permitted: 1 << 13, rootid: to2)))
        #expect(owner(dir + "/d/cap").0 == to2)

        // And back to the host's range (--no-userns).
        _ = try TreeOwnershipShifter.rebase(root: dir, to: 0)
        #expect(owner(dir + "/d/f") == (33, 4, 0o644))
        #expect(owner(dir).0 == 0)
    }
}
