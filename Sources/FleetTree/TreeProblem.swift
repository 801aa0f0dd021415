import Glibc

/// A failure found deep inside a walk or an extraction, before the public
/// entry point knows how to phrase the operation; it becomes a ``TreeError``
/// at the API boundary so that internal code need not repeat the context.
package struct TreeProblem: Error, Sendable, CustomStringConvertible {
    package var path: String?
    package var problem: String
    package var remedy: String
    package var errnoCode: Int32?

    package init(path: String?, problem: String, remedy: String, errnoCode: Int32? = nil) {
        self.path = path
        self.problem = problem
        self.remedy = remedy
        self.errnoCode = errnoCode
    }

    package var description: String { "\(problem) (\(remedy))" }

    /// A failed system call on `path`, with a remedy chosen from the errno.
    package static func system(_ call: String, on path: String, errno code: Int32) -> TreeProblem {
        TreeProblem(
            path: path,
            problem: "\(call) failed on \"\(path)\": \(Posix.describe(errno: code))",
            remedy: remedy(forErrno: code),
            errnoCode: code
        )
    }

    private static func remedy(forErrno code: Int32) -> String {
        switch code {
        case EACCES, EPERM: return "run the agent as root or fix the permissions"
        case ENOSPC, EDQUOT: return "free disk space or raise the quota"
        case EROFS: return "use a writable file system"
        case ENOENT, ENOTDIR: return "check that the path exists and was not changed while vfleet was using it"
        case EMFILE, ENFILE: return "raise the open-file limit"
        case ENAMETOOLONG: return "shorten the path"
        case ELOOP: return "remove the unexpected symlink"
        default: return "check the file system and retry"
        }
    }
}
