import ArgumentParser
import FleetController
import FleetProtocol
import FleetTree
import Foundation

/// Options every controller command shares.
struct ControllerOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The controller's database (default: $VFLEET_DB or /var/lib/vfleet-controller/fleet.db).", valueName: "file"))
    var db: String?

    @Option(name: .customLong("known-hosts"), help: ArgumentHelp("Host keys the controller trusts (default: known_hosts next to the database).", valueName: "file"))
    var knownHosts: String?

    func controller() throws -> Controller {
        CryptoLibrary.skipCleanupAtExit()
        do { return try Controller(dbPath: FleetStore.resolvePath(db), knownHosts: knownHosts) } catch { throw CLIError(error) }
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

struct CLIError: Error, CustomStringConvertible {
    let error: FleetError
    init(_ error: FleetError) { self.error = error }
    var description: String { error.message }
}

func fleet<T>(_ body: () throws(FleetError) -> T) throws -> T {
    do { return try body() } catch { throw CLIError(error) }
}

func printJSON<T: Encodable>(_ value: T) {
    let e = JSONEncoder()
    e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    if let data = try? e.encode(value) { print(String(decoding: data, as: UTF8.self)) }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Parses repeated KEY=VALUE options.
func keyValues(_ items: [String], option: String) throws -> [String: String] {
    var out: [String: String] = [:]
    for item in items {
        let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw CLIError(.invalid("\(option) \"\(item)\": use KEY=VALUE"))
        }
        out[parts[0]] = parts[1]
    }
    return out
}

/// Plain aligned columns.
struct Table {
    var header: [String]
    var rows: [[String]] = []
    init(_ header: [String]) { self.header = header }
    mutating func add(_ row: [String]) { rows.append(row) }
    func render() -> String {
        var widths = header.map(\.count)
        for row in rows { for (i, c) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in i == cells.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}
