@testable import FleetTree
@testable import FleetTreeStream
import Glibc
import Testing

/// The delta's plan walks the scan and the receiver's manifest side by side
/// (TreeStreamDeltaPlan). It must choose what the tables it replaced chose:
/// the reference below is that earlier plan, and random trees and manifests
/// (names with bytes around "/", non-UTF-8 names, hard links, receiver
/// paths under missing or replaced directories, manifests out of order and
/// with a path twice) must give the same selection and deletions.
@Suite(.tags(.unit)) struct TreeStreamDeltaPlanTests {
    /// The plan as it was, with tables keyed by path bytes.
    static func reference(nodes: [ScannedNode], manifest: [TreeManifestEntry]) -> (selected: [Bool], deletions: [[UInt8]]) {
        var receiver: [[UInt8]: TreeManifestEntry] = [:]
        for entry in manifest { receiver[ManifestText.decode(entry.path)!] = entry }
        var selected = nodes.map { node in receiver[node.path].map { !TreeStreamDeltaPlan.matches($0, node) } ?? true }
        var groups: [[UInt64]: [Int]] = [:]
        for (index, node) in nodes.enumerated() where node.kind == .file && node.linkCount > 1 {
            groups[[node.device, node.inode], default: []].append(index)
        }
        for members in groups.values where members.count > 1 && members.contains(where: { selected[$0] }) {
            for index in members { selected[index] = true }
        }
        var sourceKinds: [[UInt8]: TreeEntryKind] = [:]
        for node in nodes { sourceKinds[node.path] = node.kind }
        var deletions: [[UInt8]] = []
        for path in receiver.keys where sourceKinds[path] == nil {
            guard let slash = path.lastIndex(of: 0x2f) else {
                deletions.append(path)
                continue
            }
            if sourceKinds[Array(path[..<slash])] == .directory { deletions.append(path) }
        }
        deletions.sort { $0.lexicographicallyPrecedes($1) }
        return (selected, deletions)
    }

    static func node(_ path: [UInt8], _ kind: TreeEntryKind, inode: UInt64, links: UInt64 = 1, size: Int = 0, mtime: Int = 1000) -> ScannedNode {
        var status = stat()
        status.st_mode = (kind == .directory ? S_IFDIR : kind == .symlink ? S_IFLNK : S_IFREG) | 0o644
        status.st_size = size
        status.st_mtim = timespec(tv_sec: mtime, tv_nsec: 5)
        status.st_nlink = __nlink_t(links)
        status.st_ino = __ino_t(inode)
        status.st_dev = 7
        var node = ScannedNode(path: path, kind: kind, status: status)
        if kind == .symlink { node.linkTarget = Array("target".utf8) }
        return node
    }

    /// A random tree: names from bytes that sort around "/" and one that is not UTF-8.
    static func tree(_ random: inout SystemRandomNumberGenerator) -> [ScannedNode] {
        let alphabet: [[UInt8]] = [[0x61], [0x62], [0x2d], [0x2e, 0x61], [0x61, 0x2d], [0xff], [0x61, 0x61]]
        var directories: [[UInt8]] = [[]]
        var nodes: [ScannedNode] = []
        var seen = Set<[UInt8]>()
        var inode: UInt64 = 1
        for _ in 0..<Int.random(in: 1...60, using: &random) {
            let parent = directories.randomElement(using: &random)!
            let name = alphabet.randomElement(using: &random)!
            let path = parent.isEmpty ? name : parent + [0x2f] + name
            guard seen.insert(path).inserted else { continue }
            inode += 1
            switch Int.random(in: 0..<4, using: &random) {
            case 0:
                nodes.append(node(path, .directory, inode: inode))
                directories.append(path)
            case 1: nodes.append(node(path, .symlink, inode: inode))
            default: nodes.append(node(path, .file, inode: inode, size: Int.random(in: 0...3, using: &random)))
            }
        }
        // Some files become hard links of another.
        let files = nodes.indices.filter { nodes[$0].kind == .file }
        if files.count >= 2 && Bool.random(using: &random) {
            let (a, b) = (files[0], files[files.count - 1])
            for index in [a, b] { nodes[index] = node(nodes[index].path, .file, inode: 9999, links: 2, size: 1) }
        }
        return nodes.sorted { $0.path.lexicographicallyPrecedes($1.path) }
    }

    /// The receiver's manifest: the tree with entries dropped, changed, added
    /// (under present, missing and replaced directories), maybe shuffled and
    /// with a path listed twice.
    static func manifest(of nodes: [ScannedNode], _ random: inout SystemRandomNumberGenerator) -> [TreeManifestEntry] {
        var entries: [TreeManifestEntry] = []
        for node in nodes {
            switch Int.random(in: 0..<6, using: &random) {
            case 0: continue
            case 1:
                var changed = node.manifestEntry
                changed.mtimeSeconds += 1
                entries.append(changed)
            default: entries.append(node.manifestEntry)
            }
        }
        for _ in 0..<Int.random(in: 0...6, using: &random) {
            let base = nodes.randomElement(using: &random)?.path ?? []
            let extra: [UInt8] = Bool.random(using: &random) ? base + [0x2f, 0x7a] : base + [0x2f, 0x71, 0x2f, 0x7a]
            entries.append(node(Bool.random(using: &random) ? extra : [0x7a, 0x30 + UInt8.random(in: 0...9, using: &random)], .file, inode: 1).manifestEntry)
        }
        if let twice = entries.randomElement(using: &random), Bool.random(using: &random) {
            var later = twice
            later.mode = 0o600
            entries.append(later)
        }
        if Bool.random(using: &random) { entries.shuffle(using: &random) } else {
            entries.sort { ManifestText.decode($0.path)!.lexicographicallyPrecedes(ManifestText.decode($1.path)!) }
        }
        return entries
    }

    @Test func theSideBySidePlanChoosesWhatTheTablesChose() throws {
        var random = SystemRandomNumberGenerator()
        for round in 0..<500 {
            let nodes = Self.tree(&random)
            let manifest = Self.manifest(of: nodes, &random)
            let plan = try TreeStreamDeltaPlan.plan(nodes: nodes, receiver: manifest)
            let expected = Self.reference(nodes: nodes, manifest: manifest)
            #expect(plan.selected == expected.selected, "round \(round): \(nodes.map { Posix.display($0.path) })")
            #expect(plan.deletions == expected.deletions, "round \(round): \(manifest.map(\.path))")
            if plan.selected != expected.selected || plan.deletions != expected.deletions { break }
        }
    }

    @Test func anUnchangedTreeSendsNothingAndAnEmptyManifestEverything() throws {
        var random = SystemRandomNumberGenerator()
        let nodes = Self.tree(&random)
        let same = try TreeStreamDeltaPlan.plan(nodes: nodes, receiver: nodes.map(\.manifestEntry))
        #expect(!same.selected.contains(true) && same.deletions.isEmpty)
        let none = try TreeStreamDeltaPlan.plan(nodes: nodes, receiver: [])
        #expect(!none.selected.contains(false) && none.deletions.isEmpty)
    }

    @Test func aMalformedManifestPathIsRefused() {
        let bad = TreeManifestEntry(path: "\u{0}zz", kind: .file, mode: 0o644, uid: 0, gid: 0, mtimeSeconds: 0, mtimeNanoseconds: 0)
        #expect(throws: TreeProblem.self) { _ = try TreeStreamDeltaPlan.plan(nodes: [], receiver: [bad]) }
    }

    @Test func pathOrderIsTheByteOrderWithPrefixesFirst() {
        let paths: [[UInt8]] = [[], [0x61], [0x61, 0x2d], [0x61, 0x2f], [0x61, 0x2f, 0x62], [0x61, 0xff], [0x62], [0xff]]
        for a in paths {
            for b in paths {
                #expect(PathOrder.precedes(a, b) == a.lexicographicallyPrecedes(b), "\(a) \(b)")
                #expect((PathOrder.compare(a, b) == 0) == (a == b))
            }
        }
    }
}
