import ArgumentParser
import FleetController

/// The options of every command that changes the fleet: the controller's,
/// and `--reason`, which the event of the change keeps (`vfleet events`).
struct ChangeOptions: ParsableArguments {
    @OptionGroup var controllerOptions: ControllerOptions

    @Option(help: ArgumentHelp("Why: kept with the event this change writes (see `vfleet events`). One line.", valueName: "text"))
    var reason: String?

    func controller(keeper useKeeper: Bool = true) throws -> Controller {
        try controllerOptions.controller(keeper: useKeeper, reason: reason)
    }
}
