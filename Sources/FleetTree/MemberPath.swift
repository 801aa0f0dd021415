/// Checks and normalises archive paths: relative only, no "..", with "."
/// and empty components (from "./x", "a//b", "dir/") dropped.
///
/// Works on UTF-8 bytes, split at the byte "/" exactly as the kernel does:
/// Swift's `Character` view would merge "/" with a following combining mark
/// into one character, hiding a separator the kernel still honours.
package enum MemberPath {
    package static let separator = UInt8(ascii: "/")

    /// The components of member `path`; empty for the root ("." or "./").
    package static func components(of path: String) throws -> [[UInt8]] {
        if path.utf8.first == separator {
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
    package static func hardLinkTargetComponents(_ target: String, member: String) throws -> [[UInt8]] {
        func outside(_ reason: String) -> TreeProblem {
            hardLinkOutsideTree(member: member, target: target, reason: reason)
        }
        if target.utf8.first == separator { throw outside("is absolute") }
        guard let parts = normalized(target) else { throw outside("has a \"..\" component") }
        if parts.isEmpty { throw outside("is the tree root") }
        return parts
    }

    package static func hardLinkOutsideTree(member: String, target: String, reason: String) -> TreeProblem {
        TreeProblem(
            path: member,
            problem: "hard link \"\(member)\" points outside the tree: its target \"\(target)\" \(reason)",
            remedy: "fix the archive; a hard link must name a regular file archived before it"
        )
    }

    /// Components joined by "/", the key under which a path is tracked.
    package static func joined(_ components: some Sequence<[UInt8]>) -> [UInt8] {
        Array(components.joined(separator: [separator]))
    }

    package static func split(_ path: [UInt8]) -> [[UInt8]] {
        path.split(separator: separator, omittingEmptySubsequences: true).map(Array.init)
    }

    /// nil when a ".." component is present.
    private static func normalized(_ path: String) -> [[UInt8]]? {
        var parts: [[UInt8]] = []
        for component in split(Array(path.utf8)) {
            if component == [UInt8(ascii: ".")] { continue }
            if component == [UInt8(ascii: "."), UInt8(ascii: ".")] { return nil }
            parts.append(component)
        }
        return parts
    }
}
