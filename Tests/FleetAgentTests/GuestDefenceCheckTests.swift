@testable import FleetAgent
import FleetKernel
import FleetProtocol
import FleetTestSupport
import Testing

/// `vfleet-agent check` names every guest's defences with what this kernel
/// offers: seccomp filters (the escape tests show they are in force), user
/// namespaces and idmapped mounts (every guest's default).
@Suite(.tags(.root)) struct GuestDefenceCheckTests {
    @Test func checkReportsTheFilterAndTheUserNamespaceDefault() throws {
        let report = KernelChecker.run(layout: try? CgroupLayout.detect())
        let seccomp = try #require(report.requirements.first { $0.name == "seccomp filters" })
        #expect(seccomp.verdict == .present)
        #expect(seccomp.detail == "\(SyscallFilter.rules.count) rules")
        #expect(seccomp.fallback == nil)
        let userns = try #require(report.requirements.first { $0.name == "user namespaces allowed" })
        #expect(userns.verdict == .present)
        #expect(userns.purpose.contains("every guest's default"))
        #expect(report.requirements.contains { $0.name == "idmapped mounts" && $0.verdict == .present })
        // Each named once.
        #expect(report.requirements.filter { $0.name == "user namespaces allowed" }.count == 1)
    }
}
