import FleetTree

/// Checks the paths a tree stream names: relative, '/'-separated raw bytes
/// with no "", "." or ".." component and no NUL, within the length limits.
///
/// Works on bytes split at 0x2F exactly as the kernel does (Swift's
/// `Character` view could merge "/" with a following combining mark and hide
/// a separator; see ``MemberPath``).
enum TreeStreamPath {
    static let separator = UInt8(ascii: "/")

    /// The components of `path`; `role` names it in messages, e.g. `entry`
    /// or `the target of hard link "a/b"`.
    static func components(of path: [UInt8], role: String) throws -> [[UInt8]] {
        let display = Posix.display(path)
        func refuse(_ problem: String) -> TreeProblem {
            TreeProblem(
                path: display,
                problem: "\(role) \"\(display)\" \(problem); a tree stream may only name paths inside the tree",
                remedy: "discard this stream: the sender is broken or hostile")
        }
        if path.isEmpty { throw refuse("is empty") }
        if path.contains(0) { throw refuse("contains a NUL byte") }
        if path.first == separator { throw refuse("is absolute") }
        if path.count > TreeStreamFormat.maximumPathLength {
            throw refuse("is longer than \(TreeStreamFormat.maximumPathLength) bytes")
        }
        let parts = path.split(separator: separator, omittingEmptySubsequences: false)
        for part in parts {
            if part.elementsEqual([0x2e, 0x2e]) { throw refuse("has a \"..\" component") }
        }
        for part in parts {
            if part.isEmpty { throw refuse("has an empty component") }
            if part.elementsEqual([0x2e]) { throw refuse("has a \".\" component") }
            if part.count > TreeStreamFormat.maximumComponentLength {
                throw refuse("has a component longer than \(TreeStreamFormat.maximumComponentLength) bytes")
            }
        }
        return parts.map(Array.init)
    }

    static func joined(_ components: some Sequence<[UInt8]>) -> [UInt8] {
        Array(components.joined(separator: [separator]))
    }

    /// Number of "/" in a path: sorts directories deepest first.
    static func depth(_ path: [UInt8]) -> Int {
        path.isEmpty ? -1 : path.reduce(0) { $0 + ($1 == separator ? 1 : 0) }
    }

    /// Whether `path` is `ancestor` or lies below it.
    static func isWithin(_ path: [UInt8], _ ancestor: [UInt8]) -> Bool {
        guard path.count >= ancestor.count, path.starts(with: ancestor) else { return false }
        return path.count == ancestor.count || path[ancestor.count] == separator
    }
}
