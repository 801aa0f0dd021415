import Foundation
import Glibc

/// Moves a tree's owners from one id range to another: uid and gid
/// `from + k` become `to + k` for k below `count`. A guest's own layer is
/// stored with the host ids its user namespace maps to; this follows the
/// guest to another range (another host, or a change of --userns).
public enum TreeOwnershipShifter {
    public struct Summary: Sendable, Equatable {
        public var entries = 0
        public var changed = 0
    }

    public static func shift(root: String, from: UInt32, to: UInt32, count: UInt32) throws(TreeError) -> Summary {
        var summary = Summary()
        try shiftEntry(root, from: from, to: to, count: count, summary: &summary)
        guard let walker = FileManager.default.enumerator(atPath: root) else { return summary }
        // The enumerator lists symbolic links without following them.
        while let rel = walker.nextObject() as? String {
            try shiftEntry(root + "/" + rel, from: from, to: to, count: count, summary: &summary)
        }
        return summary
    }

    static func failure(_ call: String, _ path: String, _ code: Int32) -> TreeError {
        TreeError(operation: "cannot move the owners of \(path) to the guest's id range", path: path,
                  problem: "\(call) failed: \(String(cString: strerror(code)))",
                  remedy: "check the file system is writable and supports chown", errnoCode: code)
    }

    static func shiftEntry(_ path: String, from: UInt32, to: UInt32, count: UInt32, summary: inout Summary) throws(TreeError) {
        var st = stat()
        guard lstat(path, &st) == 0 else { throw failure("lstat", path, errno) }
        summary.entries += 1
        func mapped(_ id: UInt32) -> UInt32 { id >= from && id - from < count ? to + (id - from) : id }
        let uid = mapped(st.st_uid), gid = mapped(st.st_gid)
        guard uid != st.st_uid || gid != st.st_gid else { return }
        guard lchown(path, uid, gid) == 0 else { throw failure("lchown", path, errno) }
        // chown clears set-user-id and set-group-id: put them back.
        if (st.st_mode & S_IFMT) != S_IFLNK && (st.st_mode & (S_ISUID | S_ISGID)) != 0 {
            guard chmod(path, st.st_mode & 0o7777) == 0 else { throw failure("chmod", path, errno) }
        }
        summary.changed += 1
    }
}
