import FleetAgent
import FleetKernel
import FleetProtocol
import Foundation
import Testing

extension AgentIntegration {
    /// What a guest created with no limits at all can do to its host: a
    /// fork bomb stops at agent.json's defaultPids, and a console that
    /// never stops talking fills no more than the capped, rotated log.
    @Suite struct ResourceDefaults {
        /// An agent on the test agent's state root with its own agent.json.
        func agent(_ t: TestAgent, _ change: (inout AgentConfig) -> Void) throws -> Agent {
            var config = t.agent.config
            change(&config)
            try config.save(paths: t.agent.paths)
            return try Agent(paths: t.agent.paths)
        }

        @Test func aGuestWithoutPidsGetsTheDefaultLimit() throws {
            try withTestAgent { t in
                let a = try agent(t) { $0.defaultPids = 40 }
                _ = try a.create(GuestSpec(name: "bomb1", template: TestAgent.template))
                _ = try a.start("bomb1")
                _ = try a.execCaptured(GuestExecParams(name: "bomb1", argv: ["/bin/sh", "-c", "for i in $(seq 1 300); do sleep 30 >/dev/null 2>&1 & done 2>/dev/null; echo done"], timeoutSeconds: 30))
                let count = a.cgroup(of: "bomb1").processes().count
                #expect(count > 20 && count <= 40, "\(count) processes")
                // The spec keeps what was asked: no limit of its own.
                #expect(try a.guests.load("bomb1").spec.limits.pids == nil)
                _ = try a.stop("bomb1", timeout: 1)
            }
        }

        @Test func theDefaultsAreAFewThousandPidsAndAFewMiBOfLog() {
            let c = AgentConfig()
            #expect(c.defaultPids == 4096)
            #expect(c.consoleLogBytes * (c.consoleLogFiles + 1) <= 4 << 20)
        }

        @Test func theConsoleLogIsCappedAndRotated() throws {
            try withTestAgent { t in
                let cap = 64 << 10
                let a = try agent(t) { $0.consoleLogBytes = cap; $0.consoleLogFiles = 2 }
                // An init that writes about 2 MiB to its console, then a last line.
                let line = String(repeating: "x", count: 100)
                let script = "i=0; while [ $i -lt 20000 ]; do echo \(line); i=$((i+1)); done; echo LAST-LINE; exec sleep 1000"
                _ = try a.create(GuestSpec(name: "chat1", template: TestAgent.template, initCommand: ["/bin/sh", "-c", script]))
                _ = try a.start("chat1")
                let log = a.paths.guestConsoleLog("chat1")
                #expect(eventually(30) { ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("LAST-LINE") })
                var total = 0
                for file in [log, log + ".1", log + ".2"] {
                    let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? -1
                    #expect(size >= 0 && size <= cap, "\(file): \(size) bytes")
                    total += max(size, 0)
                }
                #expect(!FileManager.default.fileExists(atPath: log + ".3"))
                #expect(total <= 3 * cap)
                _ = try a.stop("chat1", timeout: 1)
            }
        }
    }
}
