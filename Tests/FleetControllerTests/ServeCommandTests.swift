import FleetSystem
import FleetTestSupport
import Foundation
import Testing

/// `vfleet serve` as a process, without hosts: it refuses what it cannot do
/// before it serves, and with an empty fleet answers and stops cleanly.
@Suite(.tags(.unit)) struct ServeCommandTests {
    @Test func refusesAnAddressInUseSayingWhatToSet() throws {
        let taken = try HTTPListener(address: "127.0.0.1:0") { _ in .init(status: 404, body: "") }
        defer { taken.stop() }
        let dir = NSTemporaryDirectory() + "vfleet-serve-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try TestCluster.vfleet(["serve", "--db", dir + "/fleet.db", "--metrics-address", "127.0.0.1:\(taken.port)"])
        #expect(r.status != 0)
        #expect(r.err.contains("127.0.0.1:\(taken.port)") && r.err.contains("VFLEET_METRICS_ADDRESS"), "\(r.err)")
        let bad = try TestCluster.vfleet(["serve", "--db", dir + "/fleet.db", "--interval", "0s"])
        #expect(bad.status != 0 && bad.err.contains("--interval \"0s\""), "\(bad.err)")
    }

    @Test func servesAnEmptyFleetAndStopsOnSIGINT() throws {
        let dir = NSTemporaryDirectory() + "vfleet-serve-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = try TestProcess(TestCluster.vfleetBinary, ["serve", "--db", dir + "/fleet.db", "--metrics-address", "127.0.0.1:0", "--interval", "1s"],
                                environment: TestCluster.environment(["VFLEET_METRICS_ADDRESS": nil]), log: dir + "/serve.log")
        defer { p.stop() }
        var port: UInt16?
        let deadline = Monotonic.now + 20
        while port == nil && Monotonic.now < deadline {
            if let r = p.output.range(of: "http://127.0.0.1:") { port = UInt16(p.output[r.upperBound...].prefix { $0.isNumber }) }
            usleep(50_000)
        }
        let listening = try #require(port, "\(p.output)")
        let serve = ServeUnderTest(proc: p, port: listening)
        let body = try serve.waitForMetrics { sample($0, "vfleet_hosts") == 0 }
        #expect(sample(body, "vfleet_hosts_up") == 0)
        kill(p.pid, SIGINT)
        let stopping = Monotonic.now
        p.process.waitUntilExit()
        #expect(Monotonic.now - stopping < 3)
        #expect(p.process.terminationStatus == 0)
        #expect(p.output.contains("vfleet serve: SIGINT: stopping") && p.output.contains("vfleet serve: stopped"), "\(p.output)")
    }
}
