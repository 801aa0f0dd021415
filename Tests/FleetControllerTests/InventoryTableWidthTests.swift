import FleetController
import FleetProtocol
import FleetTestSupport
import Foundation
import Testing

@testable import FleetController

/// `vfleet inventory --format table` at 500 hosts in an 80-column terminal,
/// and `--columns`.
@Suite(.tags(.unit)) struct InventoryTableWidthTests {
    static let report = SyntheticInventory.report(hosts: 500)

    func lines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    @Test func everyLineOfThe500HostTableFits80Columns() throws {
        let text = InventoryRenderer.table(Self.report)
        let all = lines(text)
        let widest = try #require(all.max { $0.count < $1.count })
        #expect(widest.count <= 80, "\(widest.count) columns: \(widest)")
        // Nothing was cut at these name lengths: every host and guest is there in full.
        for h in Self.report.hosts { #expect(all.contains { $0.hasPrefix(h.name + " ") }, "\(h.name)") }
        #expect(all.filter { $0.hasPrefix("guest ") && $0.contains(" drifted: ") }.count == Self.report.guests.filter(\.drift).count)
        #expect(!text.contains("…"))
        // The unreachable host's long error wraps instead of running off the screen.
        #expect(all.contains { $0.hasPrefix("host rack06-node002 unreachable: ssh: connect to") })
    }

    @Test func longNamesAreCutNotWrapped() throws {
        var report = Self.report
        report.hosts[0].name = "compute-" + String(repeating: "x", count: 70) + ".example.com"
        report.hosts[1].state = "evacuating"
        report.hosts[1].cordoned = true
        let all = lines(InventoryRenderer.table(report))
        #expect(all.allSatisfy { $0.count <= 80 }, "\(all.filter { $0.count > 80 })")
        let first = try #require(all.first { $0.hasPrefix("compute-xxx") })
        #expect(first.contains("…"))
        // Figures are never cut: the memory column of that row is whole.
        let memory = "\(ByteSize.format(report.hosts[0].allocated.memoryBytes))/\(ByteSize.format(report.hosts[0].capacity.memoryBytes))"
        #expect(first.contains(memory), "\(first)")
    }

    @Test func widthZeroCutsNothing() {
        var report = Self.report
        report.hosts[0].name = String(repeating: "n", count: 100)
        let text = InventoryRenderer.table(report, width: 0)
        #expect(text.contains(String(repeating: "n", count: 100) + "  "))
        #expect(!text.contains("…"))
    }

    @Test func columnsPickFieldsInTheOrderGiven() throws {
        let columns = try InventoryColumns.parse("host.kernel, host.name,guest.name,guest.reason,host.kernel")
        #expect(columns.hosts == [.kernel, .name])
        #expect(columns.guests == [.name, .reason])
        let all = lines(InventoryRenderer.table(InventoryRendererTests.sample, columns: columns))
        #expect(all.contains("KERNEL              NAME"))
        #expect(all.contains("6.8.0-51-generic    h1"))
        #expect(all.contains("-                   h3"))
        #expect(all.contains("web-2    stopped, want running"))
        // With the reason as a column it is not repeated below the table.
        #expect(!all.contains { $0.hasPrefix("guest web-2 drifted") })
    }

    @Test func aTableWithNoColumnPickedIsLeftOut() throws {
        let text = InventoryRenderer.table(InventoryRendererTests.sample, columns: try InventoryColumns.parse("guest.name,guest.host"))
        #expect(!text.contains("HOSTS"))
        #expect(!text.contains("host h3 unreachable"))
        #expect(text.hasPrefix("GUESTS\nNAME     HOST\n"))
        #expect(text.contains("guest web-2 drifted: stopped, want running\n"))
    }

    @Test func anUnknownColumnIsRefusedWithTheKnownOnes() {
        for bad in ["host.nmae", "name", "guest.kernel", "hosts.name", ",", ""] {
            let error = #expect(throws: FleetError.self) { try InventoryColumns.parse(bad) }
            #expect(error?.code == .invalidArgument)
        }
        let error = #expect(throws: FleetError.self) { try InventoryColumns.parse("host.name,host.nmae") }
        #expect(error?.message.hasPrefix("unknown inventory column host.nmae (known: host.name, host.address,") == true,
                "\(String(describing: error))")
        #expect(error?.message.contains("guest.uptime") == true)
    }

    @Test func wrappingKeepsWordsAndCutsOnlyWhatCannotFit() {
        #expect(InventoryRenderer.wrapped("short", width: 80) == ["short"])
        #expect(InventoryRenderer.wrapped("aaa bbb ccc ddd", width: 8) == ["aaa bbb", "  ccc", "  ddd"])
        #expect(InventoryRenderer.wrapped("abcdefghijkl x", width: 5) == ["abcde", "  fgh", "  ijk", "  l x"])
    }

    // MARK: the command line

    func withEmptyStore(_ body: (String) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vfleet-inv-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try body(dir)
    }

    @Test func theCommandLineRefusesAnUnknownColumnAndListsThemInHelp() throws {
        try withEmptyStore { dir in
            let bad = try TestCluster.vfleet(["inventory", "--columns", "host.name,guest.colour", "--db", dir + "/fleet.db"])
            #expect(bad.status != 0)
            #expect(bad.err.contains("unknown inventory column guest.colour (known: host.name,"), "\(bad.err)")
            let json = try TestCluster.vfleet(["inventory", "--format", "json", "--columns", "host.name", "--db", dir + "/fleet.db"])
            #expect(json.status != 0)
            #expect(json.err.contains("--columns picks the columns of --format table"), "\(json.err)")
            let narrow = try TestCluster.vfleet(["inventory", "--width", "20", "--db", dir + "/fleet.db"])
            #expect(narrow.status != 0)
            #expect(narrow.err.contains("--width 20 is too narrow (at least 40, or 0 for no limit)"), "\(narrow.err)")
            let help = try TestCluster.vfleet(["inventory", "--help"])
            for name in InventoryColumns.allNames { #expect(help.out.contains("\n\(name): "), "\(name) not in --help") }
            #expect(help.out.contains("\nguest.uptime: time since it started (default)\n"))
        }
    }

    @Test func theCommandLineRendersASavedReport() throws {
        try withEmptyStore { dir in
            try InventoryRenderer.json(Self.report).write(toFile: dir + "/fleet.json", atomically: true, encoding: .utf8)
            let run = try TestCluster.vfleet(["inventory", "--from-json", dir + "/fleet.json", "--columns", "host.name,host.kernel",
                                              "--html", dir + "/fleet.html"])
            #expect(run.status == 0, "\(run.err)")
            #expect(run.out.hasPrefix("HOSTS\nNAME            KERNEL\nrack01-node001  6.1.0-28-amd64\n"), "\(run.out.prefix(200))")
            #expect(run.out.hasSuffix("HTML report: \(dir)/fleet.html\n"))
            #expect(try String(contentsOfFile: dir + "/fleet.html", encoding: .utf8) == InventoryRenderer.html(Self.report))
            let json = try TestCluster.vfleet(["inventory", "--from-json", dir + "/fleet.json", "--format", "json"])
            #expect(json.out == (try InventoryRenderer.json(Self.report)))
            let broken = try TestCluster.vfleet(["inventory", "--from-json", dir + "/fleet.html"])
            #expect(broken.status != 0)
            #expect(broken.err.contains("fleet.html is not a report of vfleet inventory --format json"), "\(broken.err)")
        }
    }
}
