import Testing

/// What a suite needs to run, so that `./scripts/test --unit` can pick the
/// quick ones (docs/ARCHITECTURE.md, Tests).
extension Tag {
    /// Pure logic and files in a temporary directory: no root, no daemon,
    /// no namespace. The quick loop.
    @Tag public static var unit: Self
    /// Needs root or a real daemon: chown, namespaces, cgroups, mounts, a
    /// private sshd, the agent.
    @Tag public static var root: Self
    /// Brings up the test cluster (network namespaces with sshd and agents).
    @Tag public static var cluster: Self
}
