import FleetProtocol
import Foundation

/// guests/NAME/replicated.json: written by the source's agent after each
/// sync of the guest's replica that a standby kept. It tells
/// `vfleet-agent boot` to leave the guest to the controller, even when it
/// is marked autostart: a host that boots again after a failure cannot know
/// whether `vfleet host fail` made the standby's copy the guest meanwhile,
/// and starting its own stale copy then would run the guest twice (the
/// controller starts it where its placement says, by `reconcile`).
struct ReplicatedMark: Codable, Sendable, Equatable {
    /// The standby's address and the point it kept, when.
    var standby: String
    var point: Int
    var at: Double

    static func file(_ paths: AgentPaths, _ guest: String) -> String { paths.guest(guest) + "/replicated.json" }

    static func isSet(_ paths: AgentPaths, _ guest: String) -> Bool {
        FileManager.default.fileExists(atPath: file(paths, guest))
    }

    func write(_ paths: AgentPaths, _ guest: String) throws(FleetError) {
        try AtomicFile.writeJSON(self, to: Self.file(paths, guest))
    }
}
