/// One requirement of `vfleet-agent check`.
public struct KernelRequirement: Codable, Sendable, Equatable {
    public enum Verdict: String, Codable, Sendable {
        case present, missing, optional
    }

    public var name: String
    public var verdict: Verdict
    /// What vfleet uses it for.
    public var purpose: String
    /// What was seen, e.g. "hybrid: v1 memory,cpu,…; v2 at /sys/fs/cgroup/unified".
    public var detail: String?
    /// For a defence the kernel lacks: what the agent does instead.
    public var fallback: String?

    public init(name: String, verdict: Verdict, purpose: String, detail: String? = nil, fallback: String? = nil) {
        self.name = name
        self.verdict = verdict
        self.purpose = purpose
        self.detail = detail
        self.fallback = fallback
    }
}

public struct KernelCheckReport: Codable, Sendable, Equatable {
    public var kernel: String
    public var cgroupMode: String
    public var requirements: [KernelRequirement]
    /// true when nothing required is missing.
    public var ok: Bool

    public init(kernel: String, cgroupMode: String, requirements: [KernelRequirement]) {
        self.kernel = kernel
        self.cgroupMode = cgroupMode
        self.requirements = requirements
        self.ok = !requirements.contains { $0.verdict == .missing }
    }
}
