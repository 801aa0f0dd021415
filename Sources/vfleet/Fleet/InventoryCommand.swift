import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct InventoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory",
        abstract: "Report the whole fleet: hosts (reachable, capacity, allocated, used) and guests (desired, actual, usage), drift marked.",
        discussion: """
            Hosts are asked in parallel (config hosts.parallel); an unreachable host is shown with the reason and does not stop the report.

            --format json is stable: its fields are documented in docs/guide/controller.md.

            Columns of --format table (--columns, comma separated, in the order wanted):
            \(columnList)
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json, csv, yaml }

    @OptionGroup var options: ControllerOptions
    @Option(help: "table, json, csv or yaml.") var format: Format = .table
    @Option(help: "Also write a self-contained HTML report to this file.") var html: String?
    @Option(help: "Table columns, e.g. host.name,host.kernel,guest.name (listed below).") var columns: String?
    @Option(help: "Fit the table in this many columns (0: no limit).") var width: Int = 80
    @Option(name: .customLong("from-json"),
            help: "Render a report saved earlier with --format json instead of asking the hosts.")
    var fromJSON: String?

    func validate() throws {
        if let columns {
            guard format == .table else {
                throw ValidationError("--columns picks the columns of --format table, not of --format \(format.rawValue)")
            }
            do { _ = try InventoryColumns.parse(columns) } catch { throw ValidationError(error.message) }
        }
        // Narrower than a name and a state cannot be read; 0 turns fitting off.
        guard width == 0 || width >= 40 else { throw ValidationError("--width \(width) is too narrow (at least 40, or 0 for no limit)") }
    }

    func run() throws {
        let report = try fromJSON.map(Self.savedReport) ?? {
            let controller = try options.controller()
            return try fleet { () throws(FleetError) in try controller.inventory() }
        }()
        switch format {
        case .table:
            var picked = InventoryColumns.standard
            if let columns { picked = try fleet { () throws(FleetError) in try InventoryColumns.parse(columns) } }
            print(InventoryRenderer.table(report, columns: picked, width: width), terminator: "")
        case .json: print(try InventoryRenderer.json(report), terminator: "")
        case .csv: print(InventoryRenderer.csv(report), terminator: "")
        case .yaml: print(try InventoryRenderer.yaml(report), terminator: "")
        }
        if let html {
            do { try InventoryRenderer.html(report).write(toFile: html, atomically: true, encoding: .utf8) } catch {
                throw CLIError(.failed("cannot write \(html): \(error.localizedDescription)"))
            }
            if format == .table { print("HTML report: \(html)") }
        }
    }

    private static func savedReport(_ path: String) throws -> InventoryReport {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CLIError(.failed("cannot read \(path): \(error.localizedDescription)"))
        }
        do { return try JSONDecoder().decode(InventoryReport.self, from: data) } catch {
            throw CLIError(.invalid("\(path) is not a report of vfleet inventory --format json: \(error) (save one with --format json)"))
        }
    }

    private static let columnList = (
        InventoryHostColumn.allCases.map { column in
            "host.\(column.rawValue): \(column.meaning)" + (InventoryHostColumn.standard.contains(column) ? " (default)" : "")
        } + InventoryGuestColumn.allCases.map { column in
            "guest.\(column.rawValue): \(column.meaning)" + (InventoryGuestColumn.standard.contains(column) ? " (default)" : "")
        }).joined(separator: "\n")
}
