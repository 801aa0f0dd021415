import FleetProtocol
import GRDB

extension FleetStore {
    /// The params of every failover that ended done, oldest first (`host
    /// reclaim` reads which guests left which host).
    public func doneFailovers() throws(FleetError) -> [(guest: String, params: String)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT guest, params FROM operations WHERE kind = 'failover' AND state = 'done' AND guest IS NOT NULL ORDER BY id")
                .map { (guest: $0["guest"] as String, params: $0["params"] as String) }
        }
    }
}
