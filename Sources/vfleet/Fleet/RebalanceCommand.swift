import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct RebalanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebalance",
        abstract: "Even out memory use across hosts with the fewest moves that help most.",
        discussion: "The score is the standard deviation of each host's allocated memory fraction (0 = even). The plan is printed, then carried out unless --dry-run; a move that failed is printed again with its error.")
    @OptionGroup var options: ChangeOptions
    @OptionGroup var moveTransport: MoveTransportOption
    @Flag(name: .customLong("dry-run"), help: "Print the plan only.") var dryRun = false
    @Option(name: .customLong("max-moves"), help: "At most this many moves.") var maxMoves: Int = 10
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        moveTransport.apply(to: controller)
        let printer = ProgressPrinter()
        let plan = try fleet { () throws(FleetError) in
            try controller.rebalance(dryRun: dryRun, maxMoves: maxMoves,
                                     planned: { plan in
                                         guard format == .table else { return }
                                         show(plan)
                                         // Progress goes to unbuffered stderr: in a log
                                         // or a pipe the plan must reach it first.
                                         fflush(nil)
                                     },
                                     progress: printer.callback())
        }
        if format == .json { return printJSON(plan) }
        if dryRun { return show(plan) }
        // The plan is out already: what is left to say is which moves failed.
        for m in plan.moves where m.error != nil { print(line(m)) }
        if plan.moves.contains(where: { $0.error != nil }) { throw ExitCode(1) }
    }

    func show(_ plan: Controller.RebalancePlan) {
        print(String(format: "score %.4f → %.4f with %d move(s)", plan.scoreBefore, plan.scoreAfter, plan.moves.count))
        for m in plan.moves { print(line(m)) }
    }

    func line(_ m: Controller.RebalancePlan.Move) -> String {
        String(format: "  move %@ %@ → %@ (score %.4f)", m.guest, m.from, m.to, m.score) + (m.error.map { "\n    failed: \($0)" } ?? "")
    }
}
