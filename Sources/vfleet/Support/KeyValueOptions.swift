import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

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
