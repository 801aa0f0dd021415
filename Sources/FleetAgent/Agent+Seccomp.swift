import FleetKernel
import FleetProtocol

extension Agent {
    /// The guest's seccomp filter: the default deny list less what its spec
    /// allows back; nil for `--allow-syscall all`. A guest in the host's user
    /// namespace also loses inotify (see docs/SECURITY.md, item 4).
    func syscallFilter(for spec: GuestSpec) throws(FleetError) -> SyscallFilter? {
        do { return try SyscallFilter.make(allowing: spec.allowSyscalls ?? [], userNamespace: usesUserNamespace(spec)) } catch {
            throw .invalid("guest \(spec.name): \(error)")
        }
    }
}
