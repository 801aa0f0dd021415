import FleetAgent
import FleetProtocol
import Foundation
import Testing

extension AgentIntegration {
    /// Templates say how their init stops, and systemd ones get a user
    /// namespace by default, without anyone giving --init-style.
    @Suite struct InitStyleDetection {
        /// A tiny usr-merged tree: /sbin -> usr/sbin, as Debian lays it out.
        static func tree(_ dir: String, fill: (FileManager, String) throws -> Void) throws {
            let fm = FileManager.default
            for d in ["usr/sbin", "usr/lib/systemd", "etc", "bin"] {
                try fm.createDirectory(atPath: dir + "/" + d, withIntermediateDirectories: true)
            }
            try fm.createSymbolicLink(atPath: dir + "/sbin", withDestinationPath: "usr/sbin")
            try fm.createSymbolicLink(atPath: dir + "/lib", withDestinationPath: "usr/lib")
            try fill(fm, dir)
        }

        @Test func systemdSysvinitAndPlainTemplatesAreToldApart() throws {
            try withTestAgent(buildTemplate: false) { t in
                let systemd = t.root + "/src-systemd", sysv = t.root + "/src-sysv", plain = t.root + "/src-plain"
                try Self.tree(systemd) { fm, d in
                    _ = fm.createFile(atPath: d + "/usr/lib/systemd/systemd", contents: Data("#!/bin/sh\n".utf8))
                    try fm.createSymbolicLink(atPath: d + "/usr/sbin/init", withDestinationPath: "../lib/systemd/systemd")
                }
                try Self.tree(sysv) { fm, d in
                    _ = fm.createFile(atPath: d + "/usr/sbin/init", contents: Data("sysvinit".utf8))
                    _ = fm.createFile(atPath: d + "/etc/inittab", contents: Data("id:2:initdefault:\n".utf8))
                }
                try Self.tree(plain) { fm, d in
                    _ = fm.createFile(atPath: d + "/usr/sbin/init", contents: Data("#!/bin/sh\nexec sleep 1d\n".utf8))
                }
                #expect(try t.agent.importTemplate(name: "t-systemd", path: systemd).initStyle == .systemd)
                #expect(try t.agent.importTemplate(name: "t-sysv", path: sysv).initStyle == .sysv)
                #expect(try t.agent.importTemplate(name: "t-plain", path: plain).initStyle == .plain)

                // Every style gets a user namespace by default.
                let sd = try t.agent.create(GuestSpec(name: "g-systemd", template: "t-systemd"))
                #expect(sd.hostIDs == "\(sd.contextId * 65536)-\(sd.contextId * 65536 + 65535)")
                #expect(sd.capabilities.contains("CAP_SYS_ADMIN"))
                let sv = try t.agent.create(GuestSpec(name: "g-sysv", template: "t-sysv"))
                #expect(sv.hostIDs == "\(sv.contextId * 65536)-\(sv.contextId * 65536 + 65535)")
                // Refused explicitly, a guest has none, and no SYS_ADMIN.
                let pl = try t.agent.create(GuestSpec(name: "g-plain", template: "t-plain", userNamespace: false))
                #expect(pl.hostIDs == nil)
                #expect(!pl.capabilities.contains("CAP_SYS_ADMIN"))
            }
        }
    }
}
