import FleetProtocol
import Foundation

/// What an evacuation's journal row keeps (`operations.params`, kind
/// "evacuate"), so that another controller can carry the evacuation on if
/// the one running it dies: the hosts and how they are drained.
struct EvacuationParams: Codable, Sendable, Equatable {
    var hosts: [String]
    var maxParallel: Int
    var action: Controller.EvacuationAction
    var allowPartial: Bool

    static let kind = "evacuate"

    func json() throws(FleetError) -> String {
        guard let data = try? JSONEncoder().encode(self) else { throw .failed("cannot encode evacuation parameters") }
        return String(decoding: data, as: UTF8.self)
    }

    init(hosts: [String], maxParallel: Int, action: Controller.EvacuationAction, allowPartial: Bool) {
        self.hosts = hosts
        self.maxParallel = maxParallel
        self.action = action
        self.allowPartial = allowPartial
    }

    init?(json: String) {
        guard let p = try? JSONDecoder().decode(EvacuationParams.self, from: Data(json.utf8)) else { return nil }
        self = p
    }
}
