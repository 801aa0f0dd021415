import FleetProtocol
import Foundation

/// The audit trail as the command line reads it (`vfleet events`, and the
/// last events of `guest show` and `ops show`).
extension Controller {
    /// The events `filter` selects, oldest first.
    public func events(_ filter: EventFilter) throws(FleetError) -> [StoredEvent] { try store.events(filter) }

    /// The id of the newest event (0: none yet).
    public func lastEventId() throws(FleetError) -> Int64 { try store.lastEventId() }

    /// `vfleet events --follow`: hands `emit` each event `filter` selects
    /// that commits after `afterId`, in order, from this or any other
    /// process using the store, until `emit` returns false.
    ///
    /// It polls the store for ids above the last one seen, every
    /// `interval` seconds: one indexed read of the WAL, which sees other
    /// processes' commits and needs no connection of its own (SQLite's
    /// data_version is per connection and changes with every write of any
    /// table, so it would not spare the read). Ids only grow (AUTOINCREMENT),
    /// so retention deleting old rows cannot make an event be skipped or
    /// printed twice.
    public func followEvents(_ filter: EventFilter, after afterId: Int64, interval: Double = 0.05,
                             emit: ([StoredEvent]) -> Bool) throws(FleetError) {
        var last = afterId
        var f = filter
        f.limit = nil
        while true {
            f.afterId = last
            let batch = try store.events(f)
            if let newest = batch.last?.id { last = newest }
            if !batch.isEmpty, !emit(batch) { return }
            usleep(UInt32(interval * 1_000_000))
        }
    }
}
