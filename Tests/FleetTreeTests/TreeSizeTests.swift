import FleetTestSupport
import FleetTree
import Foundation
import Glibc
import Testing

/// A move's progress total counts what the manifest would list, without
/// building it.
@Suite(.tags(.unit)) struct TreeSizeTests {
    @Test(arguments: [1, 3])
    func theSizeIsTheManifestsCountAndFileBytes(threads: Int) throws {
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        let root = directory + "/tree"
        try TestDirectory.makeDirectory(root)
        for d in 0..<6 {
            try TestDirectory.makeDirectory(root + "/d\(d)")
            for f in 0..<40 {
                try TestDirectory.writeFile(root + "/d\(d)/f\(f)", String(repeating: "x", count: d * 100 + f))
            }
        }
        try TestDirectory.makeDirectory(root + "/d0/nested")
        try TestDirectory.makeDirectory(root + "/d0/nested/deeper")
        try TestDirectory.writeFile(root + "/d0/nested/deeper/leaf", "leaf\n")
        // Each name of a hard-linked file counts with its size, as in the manifest.
        try TestDirectory.hardLink(root + "/d1/second-name", to: root + "/d1/f39")
        try TestDirectory.symlink(root + "/d2/link", to: "/etc/passwd")
        #expect(mkfifo(root + "/d3/fifo", 0o600) == 0)
        // A sparse file counts its apparent size.
        try StreamFixture.makeSparseFile(root + "/d4/sparse", size: 3 << 20, blocksAt: [1 << 20])
        // Sockets are not carried, so not counted.
        try UnixSocketFile.make(at: root + "/d5/socket")

        let manifest = try TreeManifest.build(root: root)
        let size = try TreeSize.measure(root: root, threads: threads)
        #expect(size.entries == manifest.count)
        #expect(size.fileBytes == manifest.filter { $0.kind == .file }.reduce(0) { $0 + $1.size })
        // And the figures themselves: 6 directories of 40 files, nested/,
        // deeper/, leaf, the second name, the link, the fifo, the sparse file.
        #expect(size.entries == 6 + 240 + 3 + 1 + 1 + 1 + 1)
        let smallFiles = (0..<6).reduce(0) { total, d in total + (0..<40).reduce(0) { $0 + d * 100 + $1 } }
        #expect(size.fileBytes == UInt64(smallFiles + 5 + (100 + 39) + (3 << 20)))
    }

    @Test func anEmptyTreeAndAMissingOne() throws {
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        #expect(try TreeSize.measure(root: directory) == TreeSize.Size(entries: 0, fileBytes: 0))
        let error = try #require(throws: TreeError.self) { _ = try TreeSize.measure(root: directory + "/missing") }
        #expect(error.description.contains("cannot measure tree \(directory)/missing"), "\(error)")
    }
}
