import ArgumentParser
import FleetAgent
import FleetCLI
import FleetProtocol
import Foundation

/// Options every command shares.
struct AgentOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("State directory (default: $VFLEET_AGENT_ROOT or /var/lib/vfleet).", valueName: "dir"))
    var root: String?

    func agent() throws -> Agent {
        do { return try Agent(paths: AgentPaths.resolve(root)) } catch { throw CLIError(error) }
    }
}

extension OutputFormat: ExpressibleByArgument {}

func warn(_ text: String) {
    FileHandle.standardError.write(Data("warning: \(text)\n".utf8))
}
