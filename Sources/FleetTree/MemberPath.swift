/// Checks and normalises archive paths: relative only, no "..", with "."
/// and empty components (from "./x", "a//b", "dir/") dropped.
enum MemberPath {
    /// The components of member `path`; empty for the root ("." or "./").
    static func components(of path: String) throws -> [String] {
        if path.hasPrefix("/") {
            throw TreeProblem(
                path: path,
                problem: "member \"\(path)\" has an absolute path",
                remedy: "fix the archive: create it with relative paths, e.g. tar -C ROOT -cf archive.tar ."
            )
        }
        guard let parts = normalized(path) else {
            throw TreeProblem(
                path: path,
                problem: "member \"\(path)\" has a \"..\" path component",
                remedy: "fix the archive"
            )
        }
        return parts
    }

    /// The components of a hard link's target, or a problem saying why the
    /// link would point outside the tree.
    static func hardLinkTargetComponents(_ target: String, member: String) throws -> [String] {
        func outside(_ reason: String) -> TreeProblem {
            hardLinkOutsideTree(member: member, target: target, reason: reason)
        }
        if target.hasPrefix("/") { throw outside("is absolute") }
        guard let parts = normalized(target) else { throw outside("has a \"..\" component") }
        if parts.isEmpty { throw outside("is the tree root") }
        return parts
    }

    static func hardLinkOutsideTree(member: String, target: String, reason: String) -> TreeProblem {
        TreeProblem(
            path: member,
            problem: "hard link \"\(member)\" points outside the tree: its target \"\(target)\" \(reason)",
            remedy: "fix the archive; a hard link must name a regular file archived before it"
        )
    }

    /// nil when a ".." component is present.
    private static func normalized(_ path: String) -> [String]? {
        var parts: [String] = []
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            if component == "." { continue }
            if component == ".." { return nil }
            parts.append(String(component))
        }
        return parts
    }
}
