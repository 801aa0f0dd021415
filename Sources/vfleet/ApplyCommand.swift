import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Make a declarative file of guests true: the plan is shown, then carried out.",
        discussion: """
        fleet.yaml:
          guests:
            - name: web1
              template: busybox
              memory: 64M          # cpus, pids, disk, cpu-weight, io-weight too
              group: web           # anti-affinity
              require: {zone: eu}  # host labels
              state: running       # or stopped
        New guests are placed and created; a changed desired state is applied; other differences are reported, not changed in place. Guests not in the file are left alone.
        """)

    @OptionGroup var options: ControllerOptions
    @Option(name: .shortAndLong, help: "The YAML file.") var file: String
    @Flag(name: .customLong("dry-run"), help: "Show the plan only.") var dryRun = false
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        guard let data = FileManager.default.contents(atPath: file) else { throw CLIError(.notFound("cannot read \(file)")) }
        let fleetFile = try fleet { () throws(FleetError) in try FleetFile.parse(String(decoding: data, as: UTF8.self), file: file) }
        let controller = try options.controller()
        let plan = try fleet { () throws(FleetError) in try controller.plan(fleetFile) }
        if format == .table {
            print("plan:")
            show(plan)
        }
        if dryRun {
            if format == .json { printJSON(plan) }
            return
        }
        let done = controller.apply(fleetFile, plan: plan)
        if format == .json { printJSON(done) } else {
            print("result:")
            show(done)
        }
        if done.contains(where: { $0.error != nil && $0.action != .impossible }) || plan.contains(where: { $0.action == .impossible }) {
            throw ExitCode(1)
        }
    }

    func show(_ steps: [Controller.ApplyStep]) {
        for s in steps {
            var line = "  \(s.action.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(s.guest)"
            if let h = s.host { line += " @\(h)" }
            line += ": \(s.detail)"
            if let e = s.error { line += "\n      error: " + e.replacingOccurrences(of: "\n", with: "\n      ") }
            print(line)
        }
    }
}

struct ReconcileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Compare desired with actual on every host and fix what is safe: start, stop, create a missing guest.",
        discussion: "A guest a host runs that the controller does not know is reported, never deleted. An unreachable host is reported and skipped.")

    @OptionGroup var options: ControllerOptions
    @Flag(name: .customLong("dry-run"), help: "Report only.") var dryRun = false
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        let actions = try fleet { () throws(FleetError) in try controller.reconcile(dryRun: dryRun) }
        if format == .json { return printJSON(actions) }
        if actions.isEmpty { print("every guest is as desired") }
        for a in actions {
            let mark = a.done ? "done" : (dryRun && [.start, .stop, .create].contains(a.kind) ? "would" : "-")
            print("\(a.kind.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)) \(mark.padding(toLength: 5, withPad: " ", startingAt: 0)) \(a.guest ?? "-") @\(a.host): \(a.detail)")
        }
        if actions.contains(where: { $0.kind == .failed }) { throw ExitCode(1) }
    }
}

struct InventoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory",
        abstract: "Report the whole fleet: hosts (reachable, capacity, allocated, used) and guests (desired, actual, usage), drift marked.",
        discussion: "Hosts are asked in parallel (config hosts.parallel); an unreachable host is shown with the reason and does not stop the report.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json, csv, yaml }

    @OptionGroup var options: ControllerOptions
    @Option(help: "table, json, csv or yaml.") var format: Format = .table
    @Option(help: "Also write a self-contained HTML report to this file.") var html: String?

    func run() throws {
        let controller = try options.controller()
        let report = try fleet { () throws(FleetError) in try controller.inventory() }
        switch format {
        case .table: print(InventoryRenderer.table(report))
        case .json: print(try InventoryRenderer.json(report))
        case .csv: print(InventoryRenderer.csv(report), terminator: "")
        case .yaml: print(try InventoryRenderer.yaml(report))
        }
        if let html {
            do { try InventoryRenderer.html(report).write(toFile: html, atomically: true, encoding: .utf8) } catch {
                throw CLIError(.failed("cannot write \(html): \(error.localizedDescription)"))
            }
            if format == .table { print("HTML report: \(html)") }
        }
    }
}
