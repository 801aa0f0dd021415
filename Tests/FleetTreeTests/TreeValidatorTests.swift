import FleetTestSupport
import FleetTree
import Foundation
import Testing

@Suite(.tags(.unit)) struct TreeValidatorTests {
    @Test func ordinaryTreeIsAccepted() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        try TreeDigesterTests.makeSampleTree(at: directory)
        try TestDirectory.symlink(directory + "/bin/up", to: "../etc/./hostname")

        try TreeValidator.validate(directory: directory)
    }

    @Test func escapingSymlinkIsRefusedWithItsPath() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        try TestDirectory.makeDirectory(directory + "/etc")
        try TestDirectory.symlink(directory + "/etc/x", to: "../../../etc/shadow")

        let error = try #require(throws: TreeError.self) { try TreeValidator.validate(directory: directory) }
        #expect(error.description.hasPrefix("cannot import template directory \(directory): "))
        #expect(error.description.contains("symlink \"etc/x\" -> \"../../../etc/shadow\" points outside the tree"))
        #expect(error.path == "etc/x")
    }

    @Test func absoluteSymlinkClimbingAboveRootIsRefused() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        try TestDirectory.symlink(directory + "/x", to: "/../etc")

        let error = try #require(throws: TreeError.self) { try TreeValidator.validate(directory: directory) }
        #expect(error.path == "x")
    }

    @Test(.enabled(if: Shell.canMakeDeviceNodes)) func deviceNodeIsRefused() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        try TestDirectory.makeDirectory(directory + "/dev")
        #expect(mknod(directory + "/dev/null", S_IFCHR | 0o666, 0x103) == 0)

        let error = try #require(throws: TreeError.self) { try TreeValidator.validate(directory: directory) }
        #expect(error.description.contains("\"dev/null\" is a device node"))
        #expect(error.description.contains("/dev is provided by vfleet at start"))
    }
}
