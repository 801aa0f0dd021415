import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct GuestExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command in a guest wherever it is; prints its output, exits with its status.",
        discussion: "Standard input is passed when it is not a terminal. Example: vfleet guest exec web1 -- uname -a")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "Guest name.") var name: String
    @Option(help: "Kill the command after this long, e.g. 60s.") var timeout: String = "60s"
    @Argument(parsing: .postTerminator, help: "The command, after --.") var command: [String] = []

    func run() throws {
        guard !command.isEmpty else { throw CLIError(.invalid("give the command after --")) }
        guard let t = DurationText.seconds(timeout) else { throw CLIError(.invalid("cannot read timeout \"\(timeout)\"")) }
        let input: String? = isatty(0) == 0 ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : nil
        let controller = try options.controller()
        let r = try fleet { () throws(FleetError) in try controller.execGuest(name, argv: command, stdin: input, timeout: t) }
        FileHandle.standardOutput.write(Data(r.stdout.utf8))
        FileHandle.standardError.write(Data(r.stderr.utf8))
        if r.timedOut { printError("vfleet: the command was killed after \(timeout)") }
        throw ExitCode(Int32(r.exitCode))
    }
}
