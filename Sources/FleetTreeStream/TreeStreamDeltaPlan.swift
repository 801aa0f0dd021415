import FleetTree

/// What a delta must send: which entries of the source's scan differ from
/// the receiver's manifest (in any manifest field), and which receiver
/// paths it must delete. Both lists are sorted by path bytes (a scan always
/// is; a manifest is when it came from one), so they are walked side by
/// side, comparing paths with `memcmp`: three tables of 50,000 byte-array
/// keys, built and searched one entry at a time, took 100-150 ms of a
/// move's downtime for a guest of 50,000 files. A manifest that is not
/// sorted is put in order first.
enum TreeStreamDeltaPlan {
    /// `nodes`: the scan, sorted by path bytes, one entry per path.
    static func plan(nodes: [ScannedNode], receiver manifest: [TreeManifestEntry]) throws -> (selected: [Bool], deletions: [[UInt8]]) {
        var paths: [[UInt8]] = []
        paths.reserveCapacity(manifest.count)
        for entry in manifest {
            guard let path = ManifestText.decode(entry.path) else {
                throw TreeProblem(
                    path: entry.path,
                    problem: "the receiver's manifest has a malformed path \(entry.path.debugDescription)",
                    remedy: "rebuild the manifest with TreeManifest.build on the receiver")
            }
            paths.append(path)
        }
        var order = Array(paths.indices)
        if !isSorted(paths) {
            // Stable: of a path listed twice, the later entry counts, as it did in a table.
            order = order.enumerated().sorted { a, b in
                let c = PathOrder.compare(paths[a.element], paths[b.element])
                return c != 0 ? c < 0 : a.offset < b.offset
            }.map(\.element)
        }

        var selected = [Bool](repeating: true, count: nodes.count)
        var missing: [[UInt8]] = []
        var next = 0
        for (position, index) in order.enumerated() {
            let path = paths[index]
            if position + 1 < order.count && PathOrder.compare(paths[order[position + 1]], path) == 0 { continue }
            // Source paths before it are not at the receiver: sent (already selected).
            while next < nodes.count && PathOrder.compare(nodes[next].path, path) < 0 { next += 1 }
            if next < nodes.count && PathOrder.compare(nodes[next].path, path) == 0 {
                selected[next] = !matches(manifest[index], nodes[next])
                next += 1
            } else {
                missing.append(path)
            }
        }

        // A changed or missing name of a hard-linked file resends the whole
        // group, so every name ends up on the one new inode.
        var groups: [InodeKey: [Int]] = [:]
        for (index, node) in nodes.enumerated() where node.kind == .file && node.linkCount > 1 {
            groups[InodeKey(device: node.device, inode: node.inode), default: []].append(index)
        }
        for members in groups.values where members.count > 1 && members.contains(where: { selected[$0] }) {
            for index in members { selected[index] = true }
        }

        // Only the topmost missing path: below a missing or replaced
        // directory, removing the top already removes the rest.
        var deletions: [[UInt8]] = []
        for path in missing {
            guard let slash = path.lastIndex(of: TreeStreamPath.separator) else {
                deletions.append(path)
                continue
            }
            if kind(of: Array(path[..<slash]), in: nodes) == .directory { deletions.append(path) }
        }
        return (selected, deletions)
    }

    /// Whether the receiver's entry already matches the source node in every manifest field.
    static func matches(_ entry: TreeManifestEntry, _ node: ScannedNode) -> Bool {
        entry.kind == node.kind && entry.mode == node.mode && entry.uid == node.uid && entry.gid == node.gid
            && entry.size == node.size && entry.mtimeSeconds == Int64(node.modified.tv_sec)
            && entry.mtimeNanoseconds == Int32(truncatingIfNeeded: node.modified.tv_nsec)
            && entry.linkTarget.flatMap(ManifestText.decode) == node.linkTarget
            && entry.deviceMajor == node.deviceNumbers?.major && entry.deviceMinor == node.deviceNumbers?.minor
            && entry.xattrDigest == node.xattrDigest
    }

    private static func isSorted(_ paths: [[UInt8]]) -> Bool {
        for index in paths.indices.dropFirst() where PathOrder.compare(paths[index - 1], paths[index]) > 0 { return false }
        return true
    }

    /// The kind of the scan's entry at `path`, by binary search.
    private static func kind(of path: [UInt8], in nodes: [ScannedNode]) -> TreeEntryKind? {
        var low = 0
        var high = nodes.count
        while low < high {
            let middle = (low + high) / 2
            let order = PathOrder.compare(nodes[middle].path, path)
            if order == 0 { return nodes[middle].kind }
            if order < 0 { low = middle + 1 } else { high = middle }
        }
        return nil
    }
}
