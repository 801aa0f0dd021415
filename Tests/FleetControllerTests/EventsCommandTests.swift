import FleetController
import FleetProtocol
import FleetTestSupport
import Foundation
import Synchronization
import Testing

/// `vfleet events` against a real store, with the commands that write the
/// events run as real `vfleet` processes, and `--follow` in one process
/// seeing what another commits.
@Suite(.tags(.unit)) struct EventsCommandTests {
    func withStore(_ body: (String) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vfleet-events-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try body(dir + "/fleet.db")
    }

    func vfleet(_ args: [String], db: String) throws -> (status: Int32, out: String, err: String) {
        try TestCluster.vfleet(args + ["--db", db], env: ["VFLEET_SSH_PERSIST": "0", "SUDO_USER": nil])
    }

    func events(_ db: String, _ args: [String] = []) throws -> [StoredEvent] {
        let r = try vfleet(["events", "--format", "json"] + args, db: db)
        #expect(r.status == 0, "\(r.err)")
        return try JSONDecoder().decode([StoredEvent].self, from: Data(r.out.utf8))
    }

    @Test func changingCommandsWriteEventsAndAFailureRecordsItsError() throws {
        try withStore { db in
            #expect(try vfleet(["net", "pool", "add", "lan", "10.40.0.0/24", "--reason", "new rack"], db: db).status == 0)
            #expect(try vfleet(["config", "set", "placement.policy", "binpack", "--reason", "fill hosts"], db: db).status == 0)
            let failing = try vfleet(["host", "cordon", "web9", "--reason", "disk alarm"], db: db)
            #expect(failing.status != 0)
            #expect(try vfleet(["net", "pool", "remove", "lan"], db: db).status == 0)
            // Reads write nothing.
            #expect(try vfleet(["net", "pool", "list"], db: db).status == 0)
            #expect(try vfleet(["config", "get"], db: db).status == 0)

            let all = try events(db)
            #expect(all.map(\.action) == ["net.pool.add", "config.set", "host.cordon", "net.pool.remove"])
            #expect(all.map(\.reason) == ["new rack", "fill hosts", "disk alarm", nil])
            #expect(all.map(\.outcome) == [.ok, .ok, .failed, .ok])
            let me = OperatorIdentity.current()
            #expect(all.allSatisfy { $0.user == me.user && $0.machine == me.machine })
            let cordon = all[2]
            #expect(cordon.host == "web9")
            #expect(cordon.error.map { failing.err.contains($0) } == true, "event \(String(describing: cordon.error)), stderr \(failing.err)")
            #expect(all[1].detail == "placement.policy = binpack")

            #expect(try events(db, ["--host", "web9"]).map(\.action) == ["host.cordon"])
            #expect(try events(db, ["--since", "1h"]).count == 4)
            #expect(try events(db, ["--limit", "1"]).map(\.action) == ["net.pool.remove"])

            let table = try vfleet(["events"], db: db)
            let lines = table.out.split(separator: "\n")
            #expect(lines.count == 5 && lines[0].hasPrefix("TIME"), "\(table.out)")
            #expect(lines[3].contains("host.cordon") && lines[3].contains("failed") && lines[3].contains("reason: disk alarm"), "\(lines[3])")

            let bad = try vfleet(["host", "cordon", "web9", "--reason", ""], db: db)
            #expect(bad.status != 0 && bad.err.contains("--reason is empty"), "\(bad.err)")
            let since = try vfleet(["events", "--since", "yesterday"], db: db)
            #expect(since.status != 0 && since.err.contains("cannot read --since"), "\(since.err)")
        }
    }

    /// Reads a child's standard output line by line, noting when each came.
    final class LineReader: Sendable {
        let lines = Mutex<[(at: Double, text: String)]>([])
        let fd: Int32

        init(_ handle: FileHandle) {
            fd = handle.fileDescriptor
            let t = Thread { [self] in self.loop() }
            t.start()
        }

        func loop() {
            var pending = Data()
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = read(fd, &buffer, buffer.count)
                if n <= 0 { return }
                let now = Date().timeIntervalSince1970
                pending.append(contentsOf: buffer[0..<n])
                while let nl = pending.firstIndex(of: 10) {
                    let line = String(decoding: pending[pending.startIndex..<nl], as: UTF8.self)
                    pending = Data(pending[(nl + 1)...])
                    lines.withLock { $0.append((now, line)) }
                }
            }
        }

        func wait(for count: Int, timeout: Double) -> [(at: Double, text: String)] {
            let end = Date().addingTimeInterval(timeout)
            while Date() < end {
                let l = lines.withLock { $0 }
                if l.count >= count { return l }
                usleep(5_000)
            }
            return lines.withLock { $0 }
        }
    }

    /// `--follow` in one process prints what others commit: a `vfleet`
    /// command, then changes made by this test process through the
    /// controller. The latency from each event's time (taken just before
    /// its row is inserted and committed) to its line read from the
    /// follower's output is measured; the median is printed.
    @Test func followPrintsWhatAnotherProcessCommits() throws {
        try withStore { db in
            #expect(try vfleet(["config", "set", "hosts.parallel", "4"], db: db).status == 0)
            let follower = Process()
            follower.executableURL = URL(fileURLWithPath: TestCluster.vfleetBinary)
            follower.arguments = ["events", "--follow", "--format", "json", "--db", db]
            let out = Pipe()
            follower.standardOutput = out
            follower.standardError = FileHandle.nullDevice
            try follower.run()
            defer {
                if follower.isRunning { kill(follower.processIdentifier, SIGKILL) }
                follower.waitUntilExit()
            }
            let reader = LineReader(out.fileHandleForReading)
            // The event from before the follow began is listed first.
            let first = reader.wait(for: 1, timeout: 10)
            #expect(first.count == 1 && first.first?.text.contains("\"hosts.parallel = 4\"") == true, "\(first.map(\.text))")

            #expect(try vfleet(["config", "set", "hosts.parallel", "5", "--reason", "from another process"], db: db).status == 0)
            let second = reader.wait(for: 2, timeout: 10)
            #expect(second.count == 2, "the follower printed \(second.map(\.text))")
            let fromCLI = try second.last.map { try JSONDecoder().decode(StoredEvent.self, from: Data($0.text.utf8)) }
            #expect(fromCLI?.reason == "from another process" && fromCLI?.detail == "hosts.parallel = 5")

            let writer = try Controller(dbPath: db, reason: "latency")
            let samples = 20
            for n in 0..<samples {
                try writer.setConfig("hosts.parallel", String(6 + n))
                usleep(UInt32(30_000 + (n % 5) * 7_000))
            }
            let got = reader.wait(for: 2 + samples, timeout: 20)
            #expect(got.count == 2 + samples, "the follower printed \(got.count - 2) of \(samples)")
            var latencies: [Double] = []
            for line in got.dropFirst(2) {
                let e = try JSONDecoder().decode(StoredEvent.self, from: Data(line.text.utf8))
                #expect(e.reason == "latency")
                latencies.append(line.at - e.at)
            }
            #expect(latencies.count == samples)
            let sorted = latencies.sorted()
            let median = sorted.isEmpty ? 0 : (sorted[(sorted.count - 1) / 2] + sorted[sorted.count / 2]) / 2
            print(String(format: "events --follow latency, commit to line: median %.1f ms, min %.1f ms, max %.1f ms over %d events",
                         median * 1000, (sorted.first ?? 0) * 1000, (sorted.last ?? 0) * 1000, sorted.count))
            // The poll interval is 50 ms: a median far above it means the
            // follower does not see commits as they happen.
            #expect(median < 0.5, "median latency \(median) s")
        }
    }
}

extension EventsCommandTests {
    /// Every command that changes the fleet takes --reason (ChangeOptions);
    /// reads do not.
    @Test func everyChangingCommandTakesAReason() throws {
        let changing = [["host", "add"], ["host", "remove"], ["host", "cordon"], ["host", "uncordon"], ["host", "evacuate"], ["host", "restore"],
                        ["guest", "create"], ["guest", "start"], ["guest", "stop"], ["guest", "restart"], ["guest", "move"], ["guest", "destroy"],
                        ["apply"], ["reconcile"], ["rebalance"], ["config", "set"], ["template", "add"], ["template", "push"],
                        ["ops", "resume"], ["net", "pool", "add"], ["net", "pool", "remove"]]
        for command in changing {
            let help = try TestCluster.vfleet(command + ["--help"])
            #expect(help.out.contains("--reason <text>"), "vfleet \(command.joined(separator: " ")) has no --reason")
        }
        for command in [["events"], ["guest", "show"], ["inventory"], ["ops", "list"]] {
            let help = try TestCluster.vfleet(command + ["--help"])
            #expect(help.status == 0 && !help.out.contains("--reason <text>"), "vfleet \(command.joined(separator: " ")) takes --reason")
        }
    }
}
