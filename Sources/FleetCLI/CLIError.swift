import FleetProtocol

/// A FleetError as a command line shows it: the message alone, on stderr,
/// with a non-zero exit status (swift-argument-parser prints `Error: …`).
public struct CLIError: Error, CustomStringConvertible {
    public let error: FleetError
    public init(_ error: FleetError) { self.error = error }
    public var description: String { error.message }
}

/// Runs a typed-throwing body and turns its FleetError into a CLIError.
public func fleet<T>(_ body: () throws(FleetError) -> T) throws -> T {
    do { return try body() } catch { throw CLIError(error) }
}
