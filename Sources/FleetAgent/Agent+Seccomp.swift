import FleetKernel
import FleetProtocol

extension Agent {
    /// The guest's seccomp filter: the default deny list less what its spec
    /// allows back; nil for `--allow-syscall all`.
    func syscallFilter(for spec: GuestSpec) throws(FleetError) -> SyscallFilter? {
        do { return try SyscallFilter.make(allowing: spec.allowSyscalls ?? []) } catch {
            throw .invalid("guest \(spec.name): \(error)")
        }
    }
}
