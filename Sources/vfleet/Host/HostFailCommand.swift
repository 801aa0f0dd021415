import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct HostFailCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fail",
        abstract: "Declare a host dead and start its replicated guests on their standby hosts.",
        discussion: """
        The host becomes failed: it takes no placements, and reconcile starts nothing on it. Each guest \
        placed on it that has a replica with a complete point is made from that point on its standby host \
        (keeping its address), placed there and started, as a journaled operation whose agent calls carry \
        a fencing token; the output gives each guest's recovery point (the age of the data it came back \
        with). Guests without a usable replica stay placed on the failed host and run nowhere: they are named.

        --reason says why the host is declared dead: the events and each failover's journal keep it.

        Refused when the host's agent answers within 5 s, unless --force: then the failed-over guests are \
        stopped there (fenced) before their replicas start. Safe to run again: failovers a crashed run left \
        are continued, finished ones are not repeated. When the host comes back, `vfleet host reclaim` \
        deletes the stale copies and `vfleet host restore` lets it take placements again.
        """)
    @OptionGroup var options: ChangeOptions
    @Argument(help: "Host name.") var name: String
    @Flag(help: "Fail the host even though its agent answers (its replicated guests are stopped there first).") var force = false
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        let r = try fleet { () throws(FleetError) in try controller.failHost(name, reason: options.reason, force: force) }
        if format == .json {
            printJSON(r)
        } else {
            print("host \(r.host) is \(r.hostState)" + (r.forced ? " (forced: it answered; its replicated guests were stopped there first)" : ""))
            for f in r.failovers {
                if let error = f.error {
                    print("  \(f.guest) → \(f.standby): failed: \(error)")
                } else {
                    let age = f.recoveryPointAgeSeconds.map { String(format: "%.1f s", $0) } ?? "?"
                    print("  \(f.guest) → \(f.standby): point \(f.point ?? 0), recovery point \(age) old, \(f.started ? "running" : "not started (desired stopped)")"
                          + (f.resumed ? " (continued)" : ""))
                }
            }
            // A forced host answered: what it runs and was not failed over runs on there.
            let whereNow = r.forced ? "still running there if it was" : "running nowhere"
            for s in r.stranded { print("  \(s.guest): not failed over (\(s.why)); placed on \(r.host), \(whereNow)") }
            for replica in r.replicas { print("  " + replica.line) }
            if !r.lostReplicas.isEmpty {
                print("  replicas that stay on \(r.host) for now (serve's schedule tries again): \(r.lostReplicas.joined(separator: ", "))")
            }
            print(String(format: "took %.1f s", r.seconds))
        }
        if r.failovers.contains(where: { $0.error != nil }) { throw ExitCode(1) }
    }
}
