import Foundation

/// How a stop went: the init's own shutdown, or a kill after the timeout.
public struct StopReport: Codable, Sendable, Equatable {
    /// What init was asked, e.g. "SIGRTMIN+3" or "telinit 0".
    public var request: String
    /// true: init shut the guest down by itself within the timeout.
    public var clean: Bool
    public var seconds: Double
    /// Processes killed once the timeout had passed (0 when clean).
    public var killed: Int

    public init(request: String, clean: Bool, seconds: Double, killed: Int) {
        self.request = request
        self.clean = clean
        self.seconds = seconds
        self.killed = killed
    }

    public var summary: String {
        clean ? String(format: "%@: shut down in %.2f s", request, seconds)
              : String(format: "%@: not down after %.1f s, %d process(es) killed", request, seconds, killed)
    }
}
