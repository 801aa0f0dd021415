import ArgumentParser
import FleetCLI
import FleetAgent
import FleetKernel
import Foundation

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check whether this kernel can run contexts.",
        discussion: "Lists namespaces, the cgroup mode (v1, v2 or hybrid) and controllers, overlayfs, the agent's capabilities and the kernel's defences for guests (cgroup socket hooks, Landlock), each present, missing or optional, with what it is for. Exits 1 when a requirement is missing.")

    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let layout = try? CgroupLayout.detect()
        let report = KernelChecker.run(layout: layout)
        if format == .json {
            printJSON(report)
        } else {
            print("kernel \(report.kernel), cgroups \(report.cgroupMode)")
            var t = Table(["REQUIREMENT", "STATE", "FOR"])
            for r in report.requirements {
                t.add([r.name, r.verdict.rawValue, r.purpose + (r.detail.map { " (\($0))" } ?? "") + (r.fallback.map { "; without it: \($0)" } ?? "")])
            }
            print(t.render())
            print(report.ok ? "this host can run vfleet guests" : "this host lacks required features (see 'missing' above)")
        }
        if !report.ok { throw ExitCode(1) }
    }
}
