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
              replicate: {to: h2, every: 5m}   # or true, or false; both keys optional
        New guests are placed and created; a changed desired state is applied; other differences are reported, not changed in place. Guests not in the file are left alone.
        replicate: keeps a replica on a standby host (as `vfleet guest replicate`): a new one or a new standby is synced at once; a changed `every` is only recorded; without `every` only --sync-now syncs; `false` drops the standby's copy. A guest without the key keeps the replica it has. A guest with `disk:` cannot be replicated.
        """)

    @OptionGroup var options: ChangeOptions
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
