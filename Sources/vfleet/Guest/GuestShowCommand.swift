import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct GuestShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a guest as desired and as its host reports it.")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "Guest name.") var name: String
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        let v = try fleet { () throws(FleetError) in try controller.showGuest(name) }
        if format == .json { return printJSON(v) }
        let g = v.guest
        let rows: [(String, String)] = [
            ("name", g.name), ("host", v.host ?? "-"), ("template", g.template), ("desired", g.desiredState.rawValue),
            ("actual", v.actual?.state.rawValue ?? "unknown (\(v.error ?? "?"))"),
            ("memory", "\(v.actual?.memoryBytes.map(ByteSize.format) ?? "-") of \(ByteSize.format(g.memoryBytes)) reserved"),
            ("cpu", "\(g.cpuMillis / 1000).\(g.cpuMillis % 1000 / 100) reserved, \(v.actual?.cpuSeconds.map { String(format: "%.2fs used", $0) } ?? "-")"),
            ("disk", ByteSize.format(g.diskBytes) + " reserved"), ("group", g.groupName ?? "-"),
            ("network", g.spec.network.rawValue + ((g.spec.addresses ?? []).isEmpty ? "" : " " + (g.spec.addresses ?? []).joined(separator: ", "))),
            ("requires", g.requires.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")),
            ("context", v.actual.map { String($0.contextId) } ?? "-"), ("init pid", v.actual?.initPid.map(String.init) ?? "-"),
            ("origin", g.origin ?? "-"),
            ("user ids", v.actual.map { $0.hostIDs.map { "host \($0)" } ?? "the host's (no user namespace)" } ?? "-"),
            ("replica", v.replica.map(Self.replica) ?? "-"),
        ]
        for (k, val) in rows { print(k.padding(toLength: 10, withPad: " ", startingAt: 0) + val) }
        if let error = v.replica?.lastError { print("replica   last sync failed: \(error)") }
        for l in EventLines.pointer("vfleet events --guest \(name)", v.recentEvents) { print(l) }
    }

    /// The replica's host, the age of its point and its size.
    static func replica(_ r: Controller.ReplicaSummary) -> String {
        guard let point = r.point, let age = r.ageSeconds else { return "on \(r.host), no complete point yet" }
        return "on \(r.host), point \(point) taken \(Int(age)) s ago, \(r.totalBytes.map(ByteSize.format) ?? "-")"
            + (r.everySeconds.map { ", every \(Int($0)) s" } ?? "")
    }
}
