import FleetProtocol

/// The steps of a move, in order (DESIGN.md, migration invariants). This
/// file is the table of the state machine: for each step, what it does
/// (`run`), what a failure in it leads to (`recovery`) and where a resume
/// after a controller death restarts (`resumePoint`). MoveEngine drives it;
/// MoveRun holds what the actions share within one run.
enum MoveStep: String, CaseIterable, Sendable {
    case template
    case precopy
    case stopSource = "stop-source"
    case delta
    case verify
    case adopt
    case startDestination = "start-destination"
    case placement
    case cleanupSource = "cleanup-source"

    enum Recovery: Sendable {
        /// Undo (MoveEngine.rollback): the destination's copy goes, the
        /// source runs again if it ran. The source copy is never touched
        /// before the placement switch, so nothing is lost.
        case rollBack
        /// The guest runs at the destination: finish the move (`ops resume`).
        case rollForward
    }

    var recovery: Recovery {
        switch self {
        case .template, .precopy, .stopSource, .delta, .verify, .adopt, .startDestination: .rollBack
        case .placement, .cleanupSource: .rollForward
        }
    }

    /// Where a resume restarts when the journal's last step begun is this one.
    var resumePoint: MoveStep {
        switch self {
        // The pre-copy's channels died with its controller: copy again.
        case .template, .precopy: .template
        // The delta is sent against the destination's manifest; stopping a
        // stopped guest does nothing. A verification the controller did not
        // finish has no digest in the journal to hold the source to: the
        // source may have run since, so its state at the stop is taken
        // again (stop, generation, delta) and nothing it wrote is lost.
        case .stopSource, .delta, .verify: .stopSource
        // Each of these checks the agents' state before it acts, and
        // refuses (rolls back) when the source ran or changed since the
        // stop (MoveRun.requireSourceUnchanged).
        case .adopt, .startDestination, .placement, .cleanupSource: self
        }
    }

    /// The step's action.
    func run(_ r: MoveRun) throws(FleetError) {
        switch self {
        case .template: try r.sendTemplate()
        case .precopy: try r.precopy()
        case .stopSource: try r.stopSource()
        case .delta: try r.sendDelta()
        case .verify: try r.verify()
        case .adopt: try r.adopt()
        case .startDestination: try r.startDestination()
        case .placement: try r.switchPlacement()
        case .cleanupSource: try r.cleanupSource()
        }
    }
}

/// Where the journal says an operation was: the row written before each step.
enum MoveJournalPoint: Equatable, Sendable {
    case begin
    case step(MoveStep)
    case rollback

    init?(_ step: String) {
        switch step {
        case "begin": self = .begin
        case "rollback": self = .rollback
        default:
            guard let s = MoveStep(rawValue: step) else { return nil }
            self = .step(s)
        }
    }
}
