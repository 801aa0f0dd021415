/// The checks every template tree must pass, shared by the archive importer
/// and the directory validator so both refuse the same things in the same words.
package enum TemplateRules {
    /// Whether `target`, stored in the symlink at `linkPath`, climbs above the
    /// tree root when resolved lexically: a relative target from the link's own
    /// directory, an absolute one from the root (inside the guest, "/" is the
    /// tree root, so `/bin/busybox` stays inside while `/../etc` does not).
    package static func symlinkClimbsAboveRoot(linkPath: [UInt8], target: [UInt8]) -> Bool {
        let slash = UInt8(ascii: "/")
        var depth = target.first == slash ? 0 : max(0, components(of: linkPath).count - 1)
        for component in components(of: target) {
            if component.elementsEqual([UInt8(ascii: ".")]) { continue }
            if component.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
                if depth == 0 { return true }
                depth -= 1
            } else {
                depth += 1
            }
        }
        return false
    }

    package static func symlinkEscapes(path: String, target: String) -> TreeProblem {
        TreeProblem(
            path: path,
            problem: "symlink \"\(path)\" -> \"\(target)\" points outside the tree",
            remedy: "make the target stay inside the tree; absolute targets resolve from the template root"
        )
    }

    package static func deviceNode(path: String) -> TreeProblem {
        TreeProblem(
            path: path,
            problem: "\"\(path)\" is a device node; device nodes are not allowed in a template; /dev is provided by vfleet at start",
            remedy: "remove the device node from the template"
        )
    }

    private static func components(of path: [UInt8]) -> [ArraySlice<UInt8>] {
        path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
    }
}
