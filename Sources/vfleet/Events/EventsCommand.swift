import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "The audit trail: every change to the fleet, who made it, why, and how it ended.",
        discussion: """
        Each change (host, guest, template, pool, setting, apply, rebalance, ops resume) writes one event: time, \
        operator (OS user and controller machine), action, what it touched, operation id, outcome (ok, failed, \
        rolled_back) with the error, duration and the --reason given. Oldest first. --follow keeps printing events \
        as they commit, also those of other vfleet processes on the store; with --format json it prints one JSON \
        object per line. Events are kept for events.retention (default 90d).
        """)
    @OptionGroup var options: ControllerOptions
    @Option(help: ArgumentHelp("Only events of the last DURATION (e.g. 30m, 1h, 7d).", valueName: "duration")) var since: String?
    @Option(help: "Only events of this guest.") var guest: String?
    @Option(help: "Only events that touched this host (a move's source or destination).") var host: String?
    @Option(help: "Only events of this operation.") var operation: Int64?
    @Option(help: "At most this many (the newest), before following.") var limit: Int = 100
    @Flag(help: "Keep printing new events as they commit (Ctrl-C ends).") var follow = false
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        var filter = EventFilter(guest: guest, host: host, operation: operation, limit: limit)
        if let since {
            guard let seconds = DurationText.seconds(since) else {
                throw CLIError(.invalid("cannot read --since \"\(since)\" (use a duration: 30m, 1h, 7d)"))
            }
            filter.since = Date().timeIntervalSince1970 - seconds
        }
        guard limit >= 0 else { throw CLIError(.invalid("--limit \(limit) is negative")) }
        let controller = try options.controller(keeper: false)
        // The mark is taken before the listing: an event committing in
        // between is printed by the follow, never lost.
        let mark = try fleet { () throws(FleetError) in try controller.lastEventId() }
        var shown = try fleet { () throws(FleetError) in
            var f = filter
            f.afterId = nil
            return try controller.events(f).filter { ($0.id ?? 0) <= mark }
        }
        if !follow {
            if format == .json { return printJSON(shown) }
            print(EventLines.header)
            for e in shown { print(EventLines.line(e)) }
            return
        }
        if format == .table { print(EventLines.header) }
        shown.forEach(emit)
        shown = []
        // A pipe's stdout is block-buffered: each batch goes out at once.
        fflush(nil)
        try fleet { () throws(FleetError) in
            try controller.followEvents(filter, after: mark) { batch in
                batch.forEach(emit)
                fflush(nil)
                return true
            }
        }
    }

    func emit(_ e: StoredEvent) {
        print(format == .json ? EventLines.json(e) : EventLines.line(e))
    }
}
