import CFleetShim
import Glibc

/// A guest's seccomp filter: the default deny list (see fleet_seccomp.h and
/// docs/SECURITY.md) less the rules an operator allowed back by name.
public struct SyscallFilter: Sendable, Equatable {
    /// Rule names allowed back: system call names, or "userns" for nesting.
    public let allowed: [String]
    /// The built program, ready to install in a child.
    let program: vf_seccomp_filter

    /// Allowing this name turns the filter off altogether.
    public static let unconfined = "all"

    /// Builds the default filter less `allowed`; nil when `allowed` holds
    /// "all". An unknown name is an error that lists the known ones. A
    /// guest with a user namespace of its own keeps the calls whose rules
    /// guard only host root's per-user tables (``Rule/hostUsersOnly``).
    public static func make(allowing allowed: [String], userNamespace: Bool) throws(KernelError) -> SyscallFilter? {
        if allowed.contains(unconfined) { return nil }
        return try SyscallFilter(allowing: allowed, userNamespace: userNamespace)
    }

    init(allowing allowed: [String], userNamespace: Bool) throws(KernelError) {
        var built = vf_seccomp_filter()
        var unknown = [CChar](repeating: 0, count: 64)
        let implied = userNamespace ? Self.rules.filter(\.hostUsersOnly).map(\.name) : []
        let list = CStringArray(allowed + implied)
        let r = list.withPointer { vf_seccomp_build(&built, $0, &unknown, unknown.count) }
        guard r == 0 else {
            let name = String(decoding: unknown.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard r == -EINVAL else { throw KernelError("build the seccomp filter", "", errno: -r) }
            throw KernelError("--allow-syscall \(name): not a rule of the default seccomp filter", "", errno: 0,
                              hint: "known: \(Self.rules.map(\.name).joined(separator: ", ")), or \(Self.unconfined) for no filter")
        }
        self.allowed = allowed
        self.program = built
    }

    /// One rule of the default deny list.
    public struct Rule: Sendable, Equatable {
        public let name: String
        /// The system call's number here; nil for "userns" (flags of clone/unshare).
        public let number: Int?
        /// What the guest gets instead: EPERM, or ENOSYS where a libc falls back.
        public let errno: Int32
        /// Only for a guest in the host's user namespace: the call draws on
        /// a per-user kernel table shared with host root (inotify).
        public let hostUsersOnly: Bool
    }

    /// The default deny list.
    public static var rules: [Rule] {
        (0..<vf_seccomp_rule_count()).compactMap { i in
            var name: UnsafePointer<CChar>?
            var nr = 0
            var err: Int32 = 0
            var hostUsersOnly: Int32 = 0
            guard vf_seccomp_rule(i, &name, &nr, &err, &hostUsersOnly) == 0, let name else { return nil }
            return Rule(name: String(cString: name), number: nr >= 0 ? nr : nil, errno: err, hostUsersOnly: hostUsersOnly != 0)
        }
    }

    /// Whether this kernel filters system calls at all.
    public static var available: Bool { vf_seccomp_available() == 1 }

    /// Runs `body` with a pointer to the program for a C config.
    func withProgram<R>(_ body: (UnsafePointer<vf_seccomp_filter>) -> R) -> R {
        withUnsafePointer(to: program) { body($0) }
    }

    public static func == (a: SyscallFilter, b: SyscallFilter) -> Bool { a.allowed == b.allowed }
}

extension Optional where Wrapped == SyscallFilter {
    /// A pointer for a C config; NULL when there is no filter.
    func withProgram<R>(_ body: (UnsafePointer<vf_seccomp_filter>?) -> R) -> R {
        switch self {
        case .none: return body(nil)
        case .some(let f): return f.withProgram { body($0) }
        }
    }
}
