import FleetProtocol
import FleetSystem
import Foundation

extension Controller {
    /// One observation of the fleet for `vfleet serve`: every host greeted
    /// on its own, in parallel, each within `hostTimeout` (plus the connect
    /// timeout), so one slow host delays only its own answer; its stored
    /// facts are refreshed like `vfleet inventory` does.
    public func snapshot(hostTimeout: Double) throws(FleetError) -> FleetSnapshot {
        let started = Monotonic.now
        // Before the reads below: each catches the replica up to the head.
        let lag = store.replicaLag()
        let hosts = try store.hostsWithoutFacts()
        let guests = try store.guests()
        let placements = Dictionary(uniqueKeysWithValues: try store.placements().map { ($0.guest, $0.host) })
        let observations = observeEach(hosts, timeout: hostTimeout)
        let writeStarted = Monotonic.now
        let wrote = (try? recordFacts(observations)) != nil
        let writeSeconds = Monotonic.now - writeStarted
        let report = inventoryReport(observations, guests: guests, placements: placements)
        let operations = try store.operationTallies(bounds: Histogram.operationSeconds)
        var hello: [String: Double] = [:]
        for o in observations { hello[o.host.name] = o.seconds }
        return FleetSnapshot(report: report, helloSeconds: hello, operations: operations,
                             storeWriteSeconds: wrote && observations.contains { $0.hello != nil } ? writeSeconds : nil,
                             at: Date().timeIntervalSince1970, seconds: Monotonic.now - started, movedBytes: try store.movedBytesByTransport(), replicaLag: lag)
    }
}
