import ArgumentParser
import FleetController

/// `--transport` of the commands that move guests.
struct MoveTransportOption: ParsableArguments {
    @Option(help: ArgumentHelp("How layers and missing templates travel: direct (host to host, TLS pinned per transfer; a template from the guest's source or another host that has it), relay (through this controller), or auto (direct, the relay when the destination cannot be reached from the source within 2 s).",
                               valueName: "direct|relay|auto"))
    var transport: LayerTransportMode = .auto

    func apply(to controller: Controller) {
        controller.moveTransport.mode = transport
    }
}

extension LayerTransportMode: ExpressibleByArgument {}
