import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct GuestReplicateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replicate",
        abstract: "Keep a copy of a guest on a standby host, synced from the running guest.",
        discussion: """
        A sync sends what changed since the standby's last point, straight from the guest's host to the standby \
        (a direct transfer; with --transport auto, the default, carried through this controller when the standby's \
        transfer port cannot be reached from the guest's host), while the guest runs; then the guest's cgroup is frozen for the last small delta and \
        the digest of its layer, and thawed at once. The standby keeps the last complete point, never a \
        half-applied one. Without --to the scheduler chooses the standby (never the guest's own host; capacity, \
        labels and anti-affinity as if the guest ran there; the replicas a host already keeps count as booked there, \
        so standbys spread). The first replicate syncs at once; --sync-now syncs \
        again; --every records how often `vfleet serve` should sync; --no-replicate drops the standby's copy. \
        A sync never runs during a move, evacuation or failover of its guest (it is refused), and a move waits for \
        a running sync. A guest moved onto its standby host, or whose standby is evacuated or failed, gets a new \
        standby (full sync there, then the old copy dropped); if none fits, `guest show` says so and serve tries again.
        """)
    @OptionGroup var options: ChangeOptions
    @Argument(help: "Guest name.") var name: String
    @Option(help: "Standby host (default: the scheduler's choice, or the current standby).") var to: String?
    @Option(help: "Sync interval, e.g. 5m (at least 10s).") var every: String?
    @Flag(name: .customLong("sync-now"), help: "Sync the existing replica now.") var syncNow = false
    @Flag(name: .customLong("no-replicate"), help: "Stop replicating: the standby's copy is removed.") var noReplicate = false
    @Option(help: ArgumentHelp("How this sync travels: direct (host to host, TLS pinned per transfer), relay (through this controller's SSH sessions), or auto (direct, the relay when the standby cannot be reached from the guest's host within 2 s). `vfleet serve`'s scheduled syncs use auto.",
                               valueName: "direct|relay|auto"))
    var transport: LayerTransportMode = .auto
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func validate() throws {
        if noReplicate && (syncNow || to != nil || every != nil || transport != .auto) {
            throw ValidationError("--no-replicate takes no other option")
        }
        if let every, DurationText.seconds(every) == nil { throw ValidationError("--every: \"\(every)\" is not a duration (e.g. 5m, 1h)") }
    }

    func run() throws {
        let controller = try options.controller()
        if noReplicate {
            try fleet { () throws(FleetError) in try controller.stopReplicating(name) }
            if format == .json { return printJSON(["guest": name, "replica": "dropped"]) }
            print("guest \(name) is no longer replicated; its standby copy was removed")
            return
        }
        let seconds = every.flatMap(DurationText.seconds)
        let r = try fleet { () throws(FleetError) in
            if syncNow && to == nil && every == nil { return try controller.syncReplica(name, transport: transport) }
            return try controller.replicateGuest(name, to: to, every: seconds, transport: transport)
        }
        if format == .json { return printJSON(r) }
        print(Self.line(r))
    }

    static func line(_ r: Controller.ReplicaSummary) -> String {
        var text = "guest \(r.guest): point \(r.point.map(String.init) ?? "-") on \(r.host)"
        if let bytes = r.totalBytes { text += ", \(ByteSize.format(bytes))" }
        if let files = r.fileCount { text += " in \(files) entries" }
        if let frozen = r.frozenSeconds { text += String(format: ", guest frozen %.1f ms", frozen * 1000) }
        if let every = r.everySeconds { text += ", every \(Int(every)) s" }
        if let transport = r.transport { text += "; synced \(transport)" }
        return text
    }
}
