import FleetTestSupport
import FleetTree
import Foundation
import Glibc
import Testing

/// The agent removes guests' layers, a move's staging area and templates'
/// staging with `TreeRemover.remove`. A guest writes what it likes into its
/// layer, links included: removing the layer must take the links, never what
/// they point at.
@Suite(.tags(.unit)) struct TreeRemoverTests {
    @Test func linksInTheTreeAreRemovedAndTheirTargetsStay() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        let outside = directory + "/outside"
        try TestDirectory.makeDirectory(outside)
        try TestDirectory.writeFile(outside + "/keep", "host data\n")
        let tree = directory + "/layer"
        try TestDirectory.makeDirectory(tree)
        try TestDirectory.makeDirectory(tree + "/a")
        try TestDirectory.makeDirectory(tree + "/a/b")
        try TestDirectory.symlink(tree + "/to-dir", to: outside)
        try TestDirectory.symlink(tree + "/to-file", to: outside + "/keep")
        try TestDirectory.symlink(tree + "/a/b/up", to: "../../../outside")
        try TestDirectory.writeFile(tree + "/a/b/own", "guest data\n")

        try TreeRemover.remove(tree)

        var st = stat()
        #expect(lstat(tree, &st) != 0 && errno == ENOENT)
        #expect(try String(contentsOfFile: outside + "/keep", encoding: .utf8) == "host data\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside) == ["keep"])
    }

    @Test func aLinkNamedForRemovalGoesAloneNotItsTarget() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        let outside = directory + "/outside"
        try TestDirectory.makeDirectory(outside)
        try TestDirectory.writeFile(outside + "/keep", "host data\n")
        // A staging directory swapped for a link to a host directory.
        let staging = directory + "/.incoming-web1"
        try TestDirectory.symlink(staging, to: outside)

        try TreeRemover.remove(staging)

        var st = stat()
        #expect(lstat(staging, &st) != 0 && errno == ENOENT)
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside) == ["keep"])
    }

    @Test func nothingThereIsNoError() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        try TreeRemover.remove(directory + "/absent")
        try TestDirectory.writeFile(directory + "/file", "x")
        try TreeRemover.remove(directory + "/file")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }
}
