import FleetAgent
import FleetKernel
import FleetProtocol
import FleetTree
import FleetTreeStream
import Foundation
import Glibc
import FleetTestSupport
import Testing

extension AgentIntegration {
    /// The host's other users cannot reach what guests made: a setuid-root
    /// file in a guest's layer (without a user namespace, root's on the host
    /// too) would otherwise give them euid 0.
    @Suite struct StatePermissions {
        /// Runs `argv` as the host's user nobody, without groups. setpriv
        /// itself still holds root's capabilities when it calls execve (it
        /// drops them only across it), which would resolve the path as
        /// root: a shell already running as nobody does the exec.
        func asNobody(_ argv: [String]) throws -> (status: Int32, output: String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            p.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", "--", "/bin/sh", "-c", #"exec "$0" "$@""#] + argv
            let out = Pipe()
            p.standardOutput = out
            p.standardError = out
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return (p.terminationStatus, String(decoding: data, as: UTF8.self))
        }

        @Test func nobodyCannotRunAGuestsSetuidFileInItsLayerOrInAStagedMove() throws {
            try withTestAgent { t in
                // A user namespace guest opens the state root and guests/ for
                // search (its root passes them by path): the worst case.
                try t.makeGuest("ns1", userns: true)
                try t.makeGuest("su1", userns: false)
                // The payload: a program that reports its euid, which the
                // guest's root makes setuid root in its own layer.
                let probe = t.root + "/guests/su1/upper/probe-id"
                try FileManager.default.copyItem(atPath: "/usr/bin/id", toPath: probe)
                let made = try t.run("su1", "chown 0:0 /probe-id && chmod 4755 /probe-id && ls -l /probe-id")
                try #require(made.exitCode == 0 && made.stdout.hasPrefix("-rwsr-xr-x"), "\(made.stdout)\(made.stderr)")
                // Control: reachable, the payload does give euid 0.
                let open = "/var/tmp/vfleet-probe-\(UUID().uuidString.prefix(8))"
                try FileManager.default.createDirectory(atPath: open, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
                defer { try? FileManager.default.removeItem(atPath: open) }
                try FileManager.default.copyItem(atPath: probe, toPath: open + "/probe-id")
                #expect(chmod(open + "/probe-id", 0o4755) == 0)
                let control = try asNobody([open + "/probe-id", "-u"])
                try #require(control.output == "0\n", "the probe does not show euid 0 even when reachable: \(control.output)")

                // A move's staging area holds the same layer.
                var sink = MemorySink()
                _ = try t.agent.exportLayer("su1", since: nil, to: &sink)
                var source = MemorySource(sink.bytes)
                _ = try t.agent.importLayer("su2", from: &source)
                let staged = t.root + "/guests/.incoming-su2/upper/probe-id"
                var st = stat()
                try #require(lstat(staged, &st) == 0 && st.st_mode & 0o4000 != 0 && st.st_uid == 0, "the staged copy is not setuid root")

                for path in [probe, staged] {
                    let run = try asNobody([path, "-u"])
                    #expect(run.status != 0 && !run.output.hasPrefix("0"), "nobody ran \(path): \(run.output)")
                    #expect(run.output.contains("Permission denied"), "\(path): \(run.output)")
                    let look = try asNobody(["/bin/ls", (path as NSString).deletingLastPathComponent])
                    #expect(look.status != 0, "nobody listed the directory of \(path): \(look.output)")
                }
                // Every directory the agent made is 0700, but the two a user
                // namespace guest passes (0711) and its own (0710).
                for (path, mode) in [(t.root, 0o711), (t.root + "/guests", 0o711), (t.root + "/templates", 0o700),
                                     (t.root + "/locks", 0o700), (t.root + "/guests/su1", 0o700), (t.root + "/guests/ns1", 0o710),
                                     (t.root + "/guests/su1/work", 0o700), (t.root + "/guests/su1/rootfs", 0o700),
                                     (t.root + "/guests/.incoming-su2", 0o700), (t.root + "/templates/bb", 0o700)] {
                    #expect(stat(path, &st) == 0 && Int(st.st_mode & 0o7777) == mode, "\(path) is \(String(st.st_mode & 0o7777, radix: 8)), not \(String(mode, radix: 8))")
                }
            }
        }

        /// An older agent left 0755 directories: the next agent to start
        /// brings them to the modes above.
        @Test func anAgentStartTightensAnOldStateRoot() throws {
            try withTestAgent { t in
                try t.makeGuest("old1", userns: false, start: false)
                try t.makeGuest("oldns", userns: true, start: false)
                var sink = MemorySink()
                _ = try t.agent.exportLayer("old1", since: nil, to: &sink)
                var source = MemorySource(sink.bytes)
                _ = try t.agent.importLayer("old2", from: &source)
                let loose = [t.root, t.root + "/guests", t.root + "/templates", t.root + "/templates/bb", t.root + "/guests/old1",
                             t.root + "/guests/old1/work", t.root + "/guests/old1/rootfs", t.root + "/guests/oldns",
                             t.root + "/guests/.incoming-old2"]
                for path in loose { #expect(chmod(path, 0o755) == 0) }
                _ = try Agent(paths: AgentPaths(root: t.root))
                var st = stat()
                for path in loose {
                    #expect(stat(path, &st) == 0)
                    let mode = Int(st.st_mode & 0o7777)
                    switch path {
                    case t.root, t.root + "/guests": #expect(mode == 0o711, "\(path): \(String(mode, radix: 8))")
                    case t.root + "/guests/oldns": #expect(mode == 0o710 && st.st_gid != 0, "\(path): \(String(mode, radix: 8)) gid \(st.st_gid)")
                    default: #expect(mode == 0o700, "\(path): \(String(mode, radix: 8))")
                    }
                }
                // Without a user namespace guest nothing needs search.
                try t.agent.destroy("oldns", force: true)
                for path in [t.root, t.root + "/guests"] { #expect(chmod(path, 0o755) == 0) }
                _ = try Agent(paths: AgentPaths(root: t.root))
                for path in [t.root, t.root + "/guests"] {
                    #expect(stat(path, &st) == 0 && st.st_mode & 0o7777 == 0o700, "\(path): \(String(st.st_mode & 0o7777, radix: 8))")
                }
            }
        }
    }
}
