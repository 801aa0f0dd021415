import FleetController
import FleetTestSupport
import Testing

@Suite(.tags(.unit)) struct AgentInstallPathTests {
    @Test func theOptionWinsOverEverything() {
        #expect(AgentInstallPath.resolve(option: "/opt/vf/vfleet-agent", environment: ["VFLEET_AGENT_PATH": "/x/vfleet-agent"],
                                         executable: "/usr/bin/vfleet") == "/opt/vf/vfleet-agent")
    }

    @Test func theEnvironmentWinsOverTheInstallKind() {
        #expect(AgentInstallPath.resolve(option: nil, environment: ["VFLEET_AGENT_PATH": "/x/vfleet-agent"],
                                         executable: "/usr/bin/vfleet") == "/x/vfleet-agent")
    }

    /// The trap this closes: a packaged controller printed a forced command
    /// for /usr/local/bin, which a packaged host does not have.
    @Test func aPackagedControllerNamesThePackagedAgent() {
        #expect(AgentInstallPath.resolve(option: nil, environment: [:], executable: "/usr/bin/vfleet") == "/usr/bin/vfleet-agent")
    }

    @Test func anyOtherControllerNamesTheHandCopiedAgent() {
        for exe in ["/usr/local/bin/vfleet", "/work/main/.build/debug/vfleet", "/usr/bin/x/vfleet"] {
            #expect(AgentInstallPath.resolve(option: nil, environment: [:], executable: exe) == "/usr/local/bin/vfleet-agent")
        }
        #expect(AgentInstallPath.resolve(option: "", environment: ["VFLEET_AGENT_PATH": ""], executable: nil) == "/usr/local/bin/vfleet-agent")
    }
}
