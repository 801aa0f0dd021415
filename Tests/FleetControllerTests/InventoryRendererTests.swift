import FleetProtocol
import FleetTestSupport
import Foundation
import Testing
import Yams

@testable import FleetController

@Suite(.tags(.unit)) struct InventoryRendererTests {
    static let mib: UInt64 = 1 << 20
    static let gib: UInt64 = 1 << 30
    /// An error an agent could send back; must reach HTML only escaped.
    static let hostileError = "ssh: connect to 10.0.0.3 failed <script>alert('x')</script> & gave up, retry later"

    /// 3 hosts (h3 unreachable, h2 cordoned), 5 guests (web-2 drifted, cache-1
    /// on the unreachable host), and two guests on h1 the controller does not know.
    static let sample: InventoryReport = {
        let h1 = HostReport(
            name: "h1", address: "10.0.0.1", reachable: true, error: nil, cordoned: false, state: "active",
            kernel: "6.8.0-51-generic", cgroupMode: "v2", labels: ["zone": "a", "disk": "ssd"],
            capacity: ResourceAmounts(memoryBytes: 8 * gib, cpuMillis: 4000, diskBytes: 100 * gib),
            reservedMemoryBytes: 512 * mib,
            allocated: ResourceAmounts(memoryBytes: 768 * mib, cpuMillis: 1500, diskBytes: 3 * gib),
            usedMemoryBytes: 300 * mib, usedCPUSeconds: 1234.5, freeDiskBytes: 90 * gib,
            guestCount: 2, unknownGuests: ["legacy-db", "old-web"])
        let h2 = HostReport(
            name: "h2", address: "10.0.0.2", reachable: true, error: nil, cordoned: true, state: "active",
            kernel: "5.15.0-130-generic", cgroupMode: "hybrid", labels: [:],
            capacity: ResourceAmounts(memoryBytes: 4 * gib, cpuMillis: 2000, diskBytes: 50 * gib),
            reservedMemoryBytes: 256 * mib,
            allocated: ResourceAmounts(memoryBytes: 5 * gib, cpuMillis: 2500, diskBytes: 2 * gib),
            usedMemoryBytes: 1 * gib, usedCPUSeconds: 99, freeDiskBytes: 48 * gib,
            guestCount: 2, unknownGuests: [])
        let h3 = HostReport(
            name: "h3", address: "10.0.0.3", reachable: false, error: hostileError, cordoned: false, state: "active",
            kernel: nil, cgroupMode: nil, labels: [:],
            capacity: ResourceAmounts(memoryBytes: 16 * gib, cpuMillis: 8000, diskBytes: 200 * gib),
            reservedMemoryBytes: 1 * gib,
            allocated: ResourceAmounts(memoryBytes: 256 * mib, cpuMillis: 1000, diskBytes: 1 * gib),
            usedMemoryBytes: nil, usedCPUSeconds: nil, freeDiskBytes: nil,
            guestCount: 1, unknownGuests: [])
        func guest(_ name: String, on host: String, desired: String = "running", actual: String = "running",
                   driftReason: String? = nil, memory: UInt64? = 256 * mib, used: UInt64? = 100 * mib,
                   cpuSeconds: Double? = 12.5, uptime: Double? = 3725) -> GuestReport {
            GuestReport(
                name: name, host: host, template: "debian-12", group: name.hasPrefix("web") ? "web" : nil,
                desiredState: desired, actualState: actual, drift: driftReason != nil, driftReason: driftReason,
                limits: GuestLimits(memoryBytes: memory, cpuMillis: 500),
                reserved: ResourceAmounts(memoryBytes: memory ?? 256 * mib, cpuMillis: 500, diskBytes: 1 * gib),
                memoryBytes: used, cpuSeconds: cpuSeconds, processes: used == nil ? nil : 7, uptimeSeconds: uptime)
        }
        let guests = [
            guest("web-1", on: "h1"),
            guest("web-2", on: "h1", actual: "stopped", driftReason: "stopped, want running",
                  used: nil, cpuSeconds: nil, uptime: nil),
            guest("db-1", on: "h2", memory: 4 * gib, used: 3 * gib),
            guest("batch-1", on: "h2", desired: "stopped", actual: "stopped", used: nil, cpuSeconds: nil, uptime: nil),
            guest("cache-1", on: "h3", actual: "unknown", used: nil, cpuSeconds: nil, uptime: nil),
        ]
        return InventoryReport(generatedAt: 1_767_607_200.25, hosts: [h1, h2, h3], guests: guests)
    }()

    // MARK: table

    @Test func tableNamesEveryHostAndGuest() {
        let text = InventoryRenderer.table(Self.sample)
        for name in ["h1", "h2", "h3", "web-1", "web-2", "db-1", "batch-1", "cache-1"] {
            #expect(text.contains(name), "missing \(name)")
        }
        #expect(text.contains("HOSTS"))
        #expect(text.contains("GUESTS"))
    }

    @Test func tableMarksUnreachableCordonedAndDrift() throws {
        // No width limit: the hostile error is one line, as written.
        let lines = InventoryRenderer.table(Self.sample, width: 0).split(separator: "\n").map(String.init)
        let h3 = try #require(lines.first { $0.hasPrefix("h3 ") })
        #expect(h3.contains("UNREACHABLE"))
        #expect(lines.contains("host h3 unreachable: \(Self.hostileError)"))
        let h2 = try #require(lines.first { $0.hasPrefix("h2 ") })
        #expect(h2.contains("reachable,cordoned"))
        #expect(h2.contains("5G/4G"))
        let web2 = try #require(lines.first { $0.hasPrefix("web-2 ") })
        #expect(web2.contains(" * "))
        #expect(lines.contains("guest web-2 drifted: stopped, want running"))
        let web1 = try #require(lines.first { $0.hasPrefix("web-1 ") })
        #expect(!web1.contains("*"))
        #expect(web1.contains("100M/256M"))
        #expect(web1.contains("1h02m"))
    }

    @Test func tableEndsWithSummaryAndUnknownGuests() {
        let text = InventoryRenderer.table(Self.sample, width: 0)
        #expect(text.contains("\n3 hosts (2 reachable), 5 guests (2 running), 1 drifted\n"))
        #expect(text.contains("host h1 runs guests the controller does not know: legacy-db, old-web (left alone)\n"))
        #expect(!text.contains("host h2 runs"))
    }

    @Test func tableColumnsAreAligned() throws {
        let lines = InventoryRenderer.table(Self.sample).split(separator: "\n").map(String.init)
        let header = try #require(lines.first { $0.hasPrefix("NAME ") && $0.contains("MEMORY") })
        let stateColumn = try #require(header.range(of: "STATE")).lowerBound.utf16Offset(in: header)
        for host in ["h1", "h2", "h3"] {
            let line = try #require(lines.first { $0.hasPrefix(host + " ") })
            let state = line.dropFirst(stateColumn)
            #expect(state.hasPrefix("reachable") || state.hasPrefix("UNREACHABLE"), "\(line)")
        }
        #expect(lines.allSatisfy { !$0.hasSuffix(" ") })
    }

    @Test func tableKeepsEscapeSequencesOffTheTerminal() {
        var report = Self.sample
        report.hosts[2].error = "bad\u{1B}[31mred\nsecond line"
        let text = InventoryRenderer.table(report)
        #expect(!text.contains("\u{1B}"))
        #expect(text.contains("host h3 unreachable: bad?[31mred second line\n"))
    }

    // MARK: JSON and YAML

    @Test func jsonRoundTrips() throws {
        let text = try InventoryRenderer.json(Self.sample)
        #expect(text.hasPrefix("{\n"))
        let decoded = try JSONDecoder().decode(InventoryReport.self, from: Data(text.utf8))
        #expect(decoded == Self.sample)
        // Sorted keys: "generatedAt" comes before "guests" before "hosts".
        let generated = try #require(text.range(of: "\"generatedAt\"")).lowerBound
        let hosts = try #require(text.range(of: "\"hosts\"")).lowerBound
        #expect(generated < hosts)
    }

    @Test func yamlRoundTrips() throws {
        let text = try InventoryRenderer.yaml(Self.sample)
        #expect(!text.isEmpty)
        #expect(text.contains("name: h1"))
        let decoded = try YAMLDecoder().decode(InventoryReport.self, from: text)
        #expect(decoded == Self.sample)
    }

    // MARK: CSV

    @Test func csvHasHeaderAndOneRowPerHostAndGuest() throws {
        let text = InventoryRenderer.csv(Self.sample)
        let rows = try Self.parseCSV(text)
        #expect(rows.count == 1 + 8)
        #expect(text.hasPrefix("kind,name,host,reachable,state,desired,actual,drift,memory_capacity,memory_allocated,"
            + "memory_used,cpu_capacity_millis,cpu_allocated_millis,cpu_seconds,disk_capacity,disk_allocated,"
            + "guests,uptime_seconds,template,error\n"))
        #expect(rows.allSatisfy { $0.count == 20 })
        #expect(rows.dropFirst().map { $0[0] } == ["host", "host", "host", "guest", "guest", "guest", "guest", "guest"])
    }

    @Test func csvQuotesFieldsWithCommas() {
        let text = InventoryRenderer.csv(Self.sample)
        #expect(text.contains(",\"stopped, want running\"\n"))
        #expect(text.contains(",\"active,cordoned\","))
        #expect(text.contains("\"\(Self.hostileError)\"\n"))
        #expect(InventoryRenderer.csvField("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(InventoryRenderer.csvField("two\nlines") == "\"two\nlines\"")
        #expect(InventoryRenderer.csvField("plain") == "plain")
    }

    @Test func csvCellsReadBack() throws {
        let rows = try Self.parseCSV(InventoryRenderer.csv(Self.sample))
        let header = rows[0]
        func cell(_ name: String, _ column: String) throws -> String {
            let row = try #require(rows.first { $0[1] == name })
            let index = try #require(header.firstIndex(of: column))
            return row[index]
        }
        #expect(try cell("h1", "memory_capacity") == String(8 * Self.gib))
        #expect(try cell("h1", "cpu_seconds") == "1234.5")
        #expect(try cell("h1", "reachable") == "true")
        #expect(try cell("h3", "reachable") == "false")
        #expect(try cell("h3", "memory_used") == "")
        #expect(try cell("h3", "error") == Self.hostileError)
        #expect(try cell("web-2", "drift") == "true")
        #expect(try cell("web-2", "error") == "stopped, want running")
        #expect(try cell("web-2", "uptime_seconds") == "")
        #expect(try cell("web-1", "uptime_seconds") == "3725")
        #expect(try cell("web-1", "cpu_seconds") == "12.5")
        #expect(try cell("web-1", "host") == "h1")
        #expect(try cell("cache-1", "actual") == "unknown")
        #expect(try cell("db-1", "memory_used") == String(3 * Self.gib))
    }

    // MARK: HTML

    @Test func htmlIsOneSelfContainedPage() {
        let page = InventoryRenderer.html(Self.sample)
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.hasSuffix("</html>\n"))
        #expect(page.contains("<title>vfleet inventory</title>"))
        #expect(page.contains("<time datetime=\"2026-01-05T10:00:00Z\">"))
        #expect(page.contains("3 hosts (2 reachable), 5 guests (2 running), 1 drifted"))
        #expect(!page.contains("http://"))
        #expect(!page.contains("https://"))
        for external in ["<link", "<img", "<iframe", "url(", "@import", " src="] {
            #expect(!page.contains(external), "found \(external)")
        }
    }

    @Test func htmlHasOneHeatMapCellPerHost() {
        let page = InventoryRenderer.html(Self.sample)
        #expect(!page.contains("<svg"))
        #expect(!page.contains("<section class=\"host"))
        // h1 uses 300M of 8G; h2 1G of 4G and is allocated beyond it, and cordoned; h3 is unreachable.
        #expect(page.contains("<i class=\"m0\" title=\"h1: 300M of 8G used (4%); allocated 768M + reserved 512M; 2 guests; reachable\">"))
        #expect(page.contains("<i class=\"m2 over cordoned\" title=\"h2: 1G of 4G used (25%);"))
        #expect(page.contains("<i class=\"down\" title=\"h3: use unknown of 16G; allocated 256M + reserved 1G; 1 guest; UNREACHABLE: ssh: connect"))
        let cells = page.components(separatedBy: "<div class=\"cells\">")[1].components(separatedBy: "</div>")[0]
        #expect(cells.components(separatedBy: "<i ").count - 1 == Self.sample.hosts.count)
    }

    @Test func htmlSummaryHasTotalsDriftAndUnreachableHostsByName() {
        let page = InventoryRenderer.html(Self.sample)
        // 8G + 4G + 16G; 768M + 5G + 256M allocated; 512M + 256M + 1G reserved; 300M + 1G used.
        #expect(page.contains("capacity 28G · allocated 6G + reserved 1.8G (28%) · used 1.3G (5%)"))
        #expect(page.contains("capacity 14 CPUs · allocated 5 (36%) · used 1334 CPU-seconds so far"))
        #expect(page.contains("<p class=\"alert\"><b>Unreachable (1):</b> <span title=\"host h3 unreachable: ssh: connect"))
        #expect(page.contains("<h2>Drift</h2><p class=\"big\">1</p>"))
        #expect(page.contains("2 reachable · <b class=\"bad\">1 unreachable</b> · 1 cordoned"))
        #expect(page.contains("<li>host h1 runs guests the controller does not know: legacy-db, old-web (left alone)</li>"))
    }

    @Test func htmlTablesSayHowToSortEachColumn() {
        let page = InventoryRenderer.html(Self.sample)
        #expect(page.contains("<thead><tr><th>Name</th><th>State</th><th data-t=\"b\">Memory</th>"))
        #expect(page.contains("<th data-t=\"d\">Uptime</th>"))
        #expect(page.contains("<input type=\"search\" id=\"guests-filter\""))
        #expect(page.contains("<span class=\"count\" id=\"hosts-count\">3</span>"))
    }

    @Test func htmlEscapesTextFromTheModel() {
        let page = InventoryRenderer.html(Self.sample)
        // The page's own script is the one script element: the hostile error is
        // in the hosts table, the heat map's tooltip and the unreachable list, escaped each time.
        #expect(page.components(separatedBy: "<script").count == 2)
        #expect(page.components(separatedBy: "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; gave up").count - 1 == 3)
        #expect(InventoryRenderer.escaped("a\"b'c<d>e&f\u{0}g") == "a&quot;b&#39;c&lt;d&gt;e&amp;f\u{FFFD}g")
    }

    @Test func htmlMarksDriftedAndUnreachableRows() {
        let page = InventoryRenderer.html(Self.sample)
        #expect(page.contains("<tr class=\"drifted\"><td>web-2<td>"))
        #expect(page.contains("<tr><td>web-1<td>"))
        #expect(page.contains("<tr class=\"unreachable\"><td>h3<td>UNREACHABLE"))
        #expect(page.contains("<tr class=\"cordoned\"><td>h2<td>reachable,cordoned"))
    }

    @Test func htmlHandlesAnEmptyFleet() {
        let page = InventoryRenderer.html(InventoryReport(generatedAt: 0, hosts: [], guests: []))
        #expect(!page.contains("<div class=\"cells\">"))
        #expect(page.contains("<tr class=\"none\"><td colspan=\"17\">none</tr>"))
        #expect(page.contains("0 hosts (0 reachable), 0 guests (0 running), 0 drifted"))
    }

    // MARK: formats

    @Test func numbersAreWrittenPlainly() {
        #expect(InventoryRenderer.decimal(0.00001, places: 3) == "0")
        #expect(InventoryRenderer.decimal(12.0, places: 3) == "12")
        #expect(InventoryRenderer.decimal(1.2345, places: 3) == "1.235")
        #expect(InventoryRenderer.decimal(-0.5, places: 1) == "-0.5")
        #expect(InventoryRenderer.decimal(1333.5, places: 0) == "1334")
        #expect(InventoryRenderer.decimal(7, places: 0) == "7")
        #expect(InventoryRenderer.cpus(1500) == "1.5")
        #expect(InventoryRenderer.cpus(250) == "0.25")
        #expect(InventoryRenderer.duration(42) == "42s")
        #expect(InventoryRenderer.duration(312) == "5m12s")
        #expect(InventoryRenderer.duration(2 * 86400 + 3 * 3600) == "2d03h")
        #expect(InventoryRenderer.duration(nil) == "-")
    }

    // MARK: helpers

    struct CSVError: Error {}

    /// RFC 4180 reader: quoted fields may hold commas, doubled quotes and line breaks.
    static func parseCSV(_ text: String) throws -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var characters = text.makeIterator()
        while let c = characters.next() {
            if quoted {
                if c == "\"" {
                    guard let next = characters.next() else { quoted = false; break }
                    switch next {
                    case "\"": field.append("\"")
                    case ",": quoted = false; row.append(field); field = ""
                    case "\n": quoted = false; row.append(field); field = ""; rows.append(row); row = []
                    default: throw CSVError()
                    }
                } else {
                    field.append(c)
                }
            } else if c == "\"" && field.isEmpty {
                quoted = true
            } else if c == "," {
                row.append(field); field = ""
            } else if c == "\n" {
                row.append(field); field = ""; rows.append(row); row = []
            } else {
                field.append(c)
            }
        }
        if quoted { throw CSVError() }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}
