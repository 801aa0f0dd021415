import FleetAgent
import FleetKernel
import FleetProtocol
import Glibc
import Testing

/// `vfleet-agent check` reports the network defences with what the agent
/// does without them. The development kernel (6.18) offers both.
@Suite struct NetworkDefenceCheckTests {
    @Test(.enabled(if: geteuid() == 0)) func checkReportsSocketHooksAndLandlockScope() throws {
        let report = KernelChecker.run(layout: try? CgroupLayout.detect())
        let hooks = try #require(report.requirements.first { $0.name == "cgroup socket hooks" })
        #expect(hooks.verdict == .present, "\(hooks.detail ?? "")")
        #expect(hooks.fallback == nil)
        let landlock = try #require(report.requirements.first { $0.name == "Landlock abstract unix scope" })
        let abi = try #require(LandlockScope.abi())
        #expect(landlock.verdict == (abi >= 6 ? .present : .optional))
        #expect(landlock.detail?.contains("Landlock ABI \(abi)") == true)
        #expect((landlock.fallback == nil) == (abi >= 6))
    }
}
