import ArgumentParser
import FleetAgent
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

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

/// Prints a FleetError the way operators read it and exits non-zero.
struct CLIError: Error, CustomStringConvertible {
    let error: FleetError
    init(_ error: FleetError) { self.error = error }
    var description: String { error.message }
}

func fleet<T>(_ body: () throws(FleetError) -> T) throws -> T {
    do { return try body() } catch { throw CLIError(error) }
}

func printJSON<T: Encodable>(_ value: T) {
    let e = JSONEncoder()
    e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    if let data = try? e.encode(value) { print(String(decoding: data, as: UTF8.self)) }
}

func warn(_ text: String) {
    FileHandle.standardError.write(Data("warning: \(text)\n".utf8))
}
