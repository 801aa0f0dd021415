@testable import FleetAgent
import Foundation
import Glibc
import Testing

extension AgentIntegration {
    /// An incoming guest's layer is what the source host sent, and a guest
    /// there wrote it: discarding the staging area (a move rolled back) must
    /// remove the links in it, never follow one out of the guest's tree.
    @Suite struct StagingRemoval {
        @Test func discardingAStagedLayerNeverFollowsItsLinks() throws {
            try withTestAgent(buildTemplate: false) { t in
                let outside = t.root + "-outside"
                try FileManager.default.createDirectory(atPath: outside + "/etc", withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(atPath: outside) }
                try Data("host data\n".utf8).write(to: URL(fileURLWithPath: outside + "/etc/keep"))
                let upper = t.agent.stagingUpper("web1")
                try FileManager.default.createDirectory(atPath: upper + "/var/lib", withIntermediateDirectories: true)
                #expect(symlink(outside, upper + "/escape") == 0)
                #expect(symlink(outside + "/etc/keep", upper + "/var/lib/keep") == 0)
                #expect(symlink("../../../../../../../../../.." + outside, upper + "/var/lib/climb") == 0)

                t.agent.discardStaging("web1")

                #expect(!FileManager.default.fileExists(atPath: t.agent.staging("web1")))
                #expect(try String(contentsOfFile: outside + "/etc/keep", encoding: .utf8) == "host data\n")
                #expect(try FileManager.default.contentsOfDirectory(atPath: outside + "/etc") == ["keep"])
            }
        }
    }
}
