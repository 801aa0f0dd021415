import FleetProtocol
import FleetSystem

/// Runs the system tools the test cluster is built with (ip, ssh-keygen,
/// sshd) and turns a failure into an error that shows the command and its output.
enum SystemCommand {
    @discardableResult
    static func run(_ argv: [String], allowFailure: Bool = false) throws(FleetError) -> String {
        let out: SubprocessOutput
        do { out = try Subprocess.run(argv, mergeStandardError: true) } catch { throw .failed("\(error) (is it installed? see scripts/install-deps)") }
        let text = out.stdoutText
        if out.status != 0 && !allowFailure {
            throw .failed("`\(argv.joined(separator: " "))` failed: \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return text
    }
}
