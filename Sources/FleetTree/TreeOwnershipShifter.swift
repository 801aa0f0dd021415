import Foundation
import Glibc

/// Moves a guest's own layer into the id range of its user namespace.
/// Ranges are 65536 ids long and start at multiples of 65536 (0 is the
/// host's own, for guests without a user namespace), so an id's place in
/// its range is `id % 65536` whichever range it was written in: id `k` of
/// any range becomes `to + k`. A layer carries no note of its range (a move
/// does not transfer its root directory's owner), and needs none. POSIX ACL
/// entries and file capabilities that name ids move too. A move's copy
/// usually arrives in its range already (OwnerRangeMap); this is for what it
/// could not map, a context id taken meanwhile, and --userns switched.
public enum TreeOwnershipShifter {
    public struct Summary: Sendable, Equatable {
        public var entries = 0
        public var changed = 0
    }

    public static let rangeSize: UInt32 = 65536

    public static func rebase(root: String, to base: UInt32) throws(TreeError) -> Summary {
        var summary = Summary()
        // Every step relative to the parent's descriptor, never through a
        // symlink; the calls below take the entry's path (as bytes: a name
        // need not be UTF-8). Foundation's enumerator, used before, spent
        // more time on its strings than the system calls took.
        let prefix = Array(root.utf8) + [UInt8(ascii: "/")]
        do {
            let directory = try Posix.openRoot(root)
            try TreeWalker.walk(root: directory.raw) { walked in
                let failed = Posix.withCString(prefix + walked.path) { path in
                    rebaseEntry(path, display: root + "/" + walked.displayPath, status: walked.status, to: base, summary: &summary)
                }
                if let failed { throw failed }
            }
        } catch let error as TreeError {
            throw error
        } catch let problem as TreeProblem {
            throw TreeError(operation: "cannot move the owners of \(root) to the guest's id range", problem)
        } catch {
            throw TreeError(operation: "cannot move the owners of \(root) to the guest's id range", path: root,
                            problem: "\(error)", remedy: "check the file system is readable")
        }
        // The root last: a caller may take its owner as "done".
        try rebaseEntry(root, to: base, summary: &summary)
        return summary
    }

    package static func failure(_ call: String, _ path: String, _ code: Int32) -> TreeError {
        TreeError(operation: "cannot move the owners of \(path) to the guest's id range", path: path,
                  problem: "\(call) failed: \(String(cString: strerror(code)))",
                  remedy: "check the file system is writable and supports chown", errnoCode: code)
    }

    package static func rebaseEntry(_ path: String, to base: UInt32, summary: inout Summary) throws(TreeError) {
        var st = stat()
        guard lstat(path, &st) == 0 else { throw failure("lstat", path, errno) }
        if let failed = path.withCString({ rebaseEntry($0, display: path, status: st, to: base, summary: &summary) }) { throw failed }
    }

    /// `status`: the entry's lstat, taken by the caller. The failure, or nil.
    private static func rebaseEntry(
        _ path: UnsafePointer<CChar>, display: String, status st: stat, to base: UInt32, summary: inout Summary
    ) -> TreeError? {
        summary.entries += 1
        let isLink = (st.st_mode & S_IFMT) == S_IFLNK
        // One listing says whether any of the attributes below can exist.
        let attributes = !isLink && OwnerXattrs.hasAny(path)
        // Read before the chown, which drops file capabilities.
        let capability = attributes ? OwnerXattrs.get(path, OwnerXattrs.capabilityName) : nil
        var changed = false
        let uid = base + st.st_uid % rangeSize, gid = base + st.st_gid % rangeSize
        if uid != st.st_uid || gid != st.st_gid {
            guard lchown(path, uid, gid) == 0 else { return failure("lchown", display, errno) }
            // chown clears set-user-id and set-group-id: put them back.
            if !isLink && (st.st_mode & (S_ISUID | S_ISGID)) != 0 {
                guard chmod(path, st.st_mode & 0o7777) == 0 else { return failure("chmod", display, errno) }
            }
            changed = true
        }
        if attributes {
            for name in OwnerXattrs.aclNames {
                guard let acl = OwnerXattrs.get(path, name),
                      let moved = OwnerXattrs.rebasedACL(acl, to: base, rangeSize: rangeSize) else { continue }
                let e = OwnerXattrs.set(path, name, moved)
                guard e == 0 else { return failure("setxattr \(name)", display, e) }
                changed = true
            }
            if let capability {
                // A chown dropped it: write it back, moved if it names a range.
                let moved = OwnerXattrs.rebasedCapability(capability, to: base, rangeSize: rangeSize)
                if moved != nil || uid != st.st_uid || gid != st.st_gid {
                    let e = OwnerXattrs.set(path, OwnerXattrs.capabilityName, moved ?? capability)
                    guard e == 0 else { return failure("setxattr security.capability", display, e) }
                    changed = true
                }
            }
        }
        if changed { summary.changed += 1 }
        return nil
    }
}
