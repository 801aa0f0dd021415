import FleetProtocol
import Foundation

/// guests/NAME/replicated.json: written by the source's agent during each
/// sync of the guest's replica, before the standby can commit the point
/// (so no point exists anywhere without the mark here). It tells
/// `vfleet-agent boot` to leave the guest to the controller, even when it
/// is marked autostart: a host that boots again after a failure cannot know
/// whether `vfleet host fail` made the standby's copy the guest meanwhile,
/// and starting its own stale copy then would run the guest twice (the
/// controller starts it where its placement says, by `reconcile`).
struct ReplicatedMark: Codable, Sendable, Equatable {
    /// The standby's address, and when the mark was (last) written.
    var standby: String
    var since: Double

    static func file(_ paths: AgentPaths, _ guest: String) -> String { paths.guest(guest) + "/replicated.json" }

    static func isSet(_ paths: AgentPaths, _ guest: String) -> Bool {
        FileManager.default.fileExists(atPath: file(paths, guest))
    }

    func write(_ paths: AgentPaths, _ guest: String) throws(FleetError) {
        try AtomicFile.writeJSON(self, to: Self.file(paths, guest))
    }
}
