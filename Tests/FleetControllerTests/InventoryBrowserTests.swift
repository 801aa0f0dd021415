import FleetController
import FleetProtocol
import FleetSystem
import FleetTestSupport
import Foundation
import Testing

/// The HTML report of 500 hosts and 5,000 guests in a real browser: headless
/// Chromium (Debian's `chromium`, scripts/install-deps) in a network namespace
/// of its own (no way out but a loopback that is down), on a file:// URL. A
/// script added to the page clicks and types like a reader, writes what it
/// saw into the DOM, and Chromium dumps the DOM and takes a screenshot.
@Suite(.tags(.root)) struct InventoryBrowserTests {
    /// What the added script reports (see `harness`).
    struct Seen: Decodable {
        var errors: [String]
        var laidOut: Double
        var viewportHeight: Double
        var heatBottom: Double
        var hostsTop: Double
        var hostRows: Int
        var guestRows: Int
        var usedSort: String?
        var usedColumn: [String]
        var guestNamesSorted: [String]
        var uptimeColumn: [String]
        var filteredHosts: [String]
        var filteredCount: String
        var driftedShown: Int
    }

    static let filterHost = SyntheticInventory.hostName(6)

    @Test func theReportOf500HostsWorksInChromium() throws {
        let report = SyntheticInventory.report(hosts: 500)
        #expect(report.guests.count == 5000)
        let page = InventoryRenderer.html(report)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vfleet-inventory-report").path
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let profile = dir + "/chromium-profile"
        defer { try? FileManager.default.removeItem(atPath: profile) }
        try page.write(toFile: dir + "/report.html", atomically: true, encoding: .utf8)
        let tested = try Self.withHarness(page)
        try tested.write(toFile: dir + "/report-tested.html", atomically: true, encoding: .utf8)
        let screenshot = dir + "/report.png"

        // The page must be laid out within 2 s. On this 2-core machine other
        // tests' load once made one run take 2.23 s (1.0-1.7 s otherwise), so
        // Chromium runs up to three times: one run must make it, which a
        // page that is really too slow never does.
        var layouts: [Double] = []
        var run: SubprocessOutput
        var seen: Seen
        repeat {
            try? FileManager.default.removeItem(atPath: profile)
            let started = Monotonic.now
            run = try Subprocess.run([
                "unshare", "--map-root-user", "--net", "--", "chromium", "--headless", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--disable-extensions", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-default-apps", "--user-data-dir=\(profile)",
                "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=0",
                "--window-size=1280,800", "--screenshot=\(screenshot)", "--dump-dom", "file://\(dir)/report-tested.html",
            ], timeout: .seconds(60))
            let wall = Monotonic.now - started
            print("inventory report: \(page.utf8.count) bytes; screenshot \(screenshot); chromium ran \(Int(wall * 1000)) ms")
            try #require(run.status == 0 && !run.timedOut, "chromium failed: \(run.stderrText.suffix(2000))")
            seen = try Self.seen(in: run.stdoutText)
            layouts.append(seen.laidOut)
            print("inventory report: laid out \(Int(seen.laidOut)) ms after navigation started")
        } while seen.laidOut >= 2000 && layouts.count < 3
        // Chromium logs every console message as "CONSOLE" with its source; the page writes none.
        // (Chromium's own pages log too, from chrome:// sources.)
        let consoleLines = run.stderrText.split(separator: "\n").filter { $0.contains(":CONSOLE") && $0.contains("source: file://") }
        #expect(consoleLines.isEmpty, "console: \(consoleLines)")
        #expect(FileManager.default.fileExists(atPath: screenshot))

        #expect(seen.errors.isEmpty, "script errors: \(seen.errors)")
        #expect(seen.laidOut < 2000, "the page took \(layouts.map { Int($0) }) ms to load and lay out in \(layouts.count) runs")
        // Summary and chart on the first screen, the hosts table starting on it.
        #expect(seen.heatBottom <= seen.viewportHeight, "the heat map ends at \(seen.heatBottom) of \(seen.viewportHeight)")
        #expect(seen.hostsTop < seen.viewportHeight - 100, "the hosts table starts at \(seen.hostsTop)")

        #expect(seen.hostRows == 500)
        #expect(seen.guestRows == 5000)

        // Two clicks on "Used": largest first, unknown (unreachable hosts) last.
        #expect(seen.usedSort == "descending")
        let used = seen.usedColumn.map(ByteSize.parse)
        let known = used.prefix { $0 != nil }.map { $0! }
        #expect(known.count == 500 - SyntheticInventory.unreachableIndexes.count)
        #expect(used.dropFirst(known.count).allSatisfy { $0 == nil })
        #expect(zip(known, known.dropFirst()).allSatisfy { $0 >= $1 }, "not in descending order: \(known.prefix(20))")
        #expect(Set(known).count > 100)

        #expect(seen.guestNamesSorted == report.guests.map(\.name).sorted())
        let uptimes = seen.uptimeColumn.map(Self.seconds)
        let running = uptimes.prefix { $0 != nil }.map { $0! }
        #expect(running.count == report.guests.filter { $0.uptimeSeconds != nil }.count)
        #expect(zip(running, running.dropFirst()).allSatisfy { $0 <= $1 }, "uptime not ascending")

        #expect(seen.filteredHosts == Array(repeating: Self.filterHost, count: SyntheticInventory.guestsPerHost))
        #expect(seen.filteredCount == "\(SyntheticInventory.guestsPerHost) of 5000")
        #expect(seen.driftedShown == report.guests.filter(\.drift).count)
        #expect(seen.driftedShown > 0)
    }

    /// The page with two scripts added: one first in <head> that records
    /// script errors, one at the end that acts once the page has loaded.
    static func withHarness(_ page: String) throws -> String {
        let catcher = """
            <script>window.__errors = []; addEventListener("error", (e) => __errors.push(String(e.message)));
            addEventListener("unhandledrejection", (e) => __errors.push(String(e.reason)));</script>
            """
        let head = try #require(page.range(of: "<head>"))
        var tested = page
        tested.insert(contentsOf: "\n" + catcher, at: head.upperBound)
        let end = try #require(tested.range(of: "</body>"))
        tested.insert(contentsOf: harness + "\n", at: end.lowerBound)
        return tested
    }

    static let harness = """
        <script>addEventListener("load", () => {
          const seen = { errors: window.__errors };
          document.body.getBoundingClientRect();
          seen.laidOut = performance.now();
          seen.viewportHeight = innerHeight;
          seen.heatBottom = document.querySelector("section.heat").getBoundingClientRect().bottom;
          seen.hostsTop = document.getElementById("hosts").getBoundingClientRect().top;
          const hosts = document.getElementById("hosts-table"), guests = document.getElementById("guests-table");
          const header = (table, name) => Array.from(table.tHead.rows[0].cells).find((c) => c.textContent === name);
          const column = (table, name) => {
            const i = header(table, name).cellIndex;
            return Array.from(table.tBodies[0].rows).filter((r) => !r.hidden).map((r) => r.cells[i].textContent);
          };
          seen.hostRows = hosts.tBodies[0].rows.length;
          seen.guestRows = guests.tBodies[0].rows.length;
          header(hosts, "Used").click(); header(hosts, "Used").click();
          seen.usedSort = header(hosts, "Used").getAttribute("aria-sort");
          seen.usedColumn = column(hosts, "Used");
          header(guests, "Uptime").click();
          seen.uptimeColumn = column(guests, "Uptime");
          header(guests, "Name").click();
          seen.guestNamesSorted = column(guests, "Name");
          const box = document.getElementById("guests-filter");
          box.value = "\(filterHost)";
          box.dispatchEvent(new Event("input"));
          seen.filteredHosts = column(guests, "Host");
          seen.filteredCount = document.getElementById("guests-count").textContent;
          box.value = "";
          box.dispatchEvent(new Event("input"));
          document.querySelector("[data-show]").click();
          seen.driftedShown = column(guests, "Name").length;
          // Back to the first screen for the screenshot (the link went to #guests), hosts sorted by use.
          const only = document.getElementById("guests-only");
          only.checked = false;
          only.dispatchEvent(new Event("change"));
          scrollTo(0, 0);
          const out = document.createElement("pre");
          out.id = "harness";
          out.hidden = true;
          out.textContent = btoa(JSON.stringify(seen));
          document.body.appendChild(out);
        });</script>
        """

    static func seen(in dom: String) throws -> Seen {
        let start = try #require(dom.range(of: "<pre id=\"harness\" hidden=\"\">"), "the page's script did not finish")
        let end = try #require(dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex))
        let data = try #require(Data(base64Encoded: String(dom[start.upperBound..<end.lowerBound])))
        return try JSONDecoder().decode(Seen.self, from: data)
    }

    /// "2d03h", "5m12s", "42s" back to seconds; nil for "-".
    static func seconds(_ text: String) -> Double? {
        var total = 0.0
        var number = ""
        var found = false
        for c in text {
            if c.isNumber { number.append(c); continue }
            guard let n = Double(number), let unit = ["d": 86400.0, "h": 3600, "m": 60, "s": 1][String(c)] else { return nil }
            total += n * unit
            number = ""
            found = true
        }
        return found ? total : nil
    }
}
