import FleetProtocol
import Foundation

/// One line from a controller process to its connection keeper: an agent
/// call for a host, or a question for the keeper itself (`control`).
struct KeeperRequest: Codable, Sendable {
    var host: String?
    var method: String?
    /// The parameters as JSON text, passed to the agent unparsed.
    var params: String?
    var timeout: Double?
    /// "status" or "stop".
    var control: String?
}

/// What `vfleet connections status` shows.
public struct KeeperStatus: Codable, Sendable {
    public var pid: Int32
    public var socket: String
    public var database: String
    public var persistSeconds: Double
    public var idleSeconds: Double
    public var calls: Int
    /// Hosts with an open session.
    public var hosts: [String]
}
