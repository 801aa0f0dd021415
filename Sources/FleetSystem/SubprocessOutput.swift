/// What a finished program wrote and how it ended.
public struct SubprocessOutput: Sendable {
    /// The exit status, or 128 + the signal that killed it (as a shell says).
    public let status: Int32
    public let stdout: [UInt8]
    /// Empty when standard error was merged into `stdout`.
    public let stderr: [UInt8]
    /// The deadline passed and the program was killed.
    public let timedOut: Bool

    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    public var succeeded: Bool { status == 0 && !timedOut }
}
