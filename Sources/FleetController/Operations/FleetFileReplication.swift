import FleetProtocol
import Foundation
import Yams

extension FleetFile {
    /// What a guest's `replicate:` key asks for. A guest without the key
    /// keeps whatever replica it has (set by `vfleet guest replicate`):
    /// apply manages a replica only where the file says something about it.
    ///
    /// ```yaml
    /// replicate: {to: h2, every: 5m}   # both optional
    /// replicate: true                  # the scheduler's standby, synced only by --sync-now
    /// replicate: false                 # no replica: the standby's copy is dropped
    /// ```
    public enum Replication: Sendable, Equatable {
        /// A replica on `to` (nil: the scheduler's choice, or the current
        /// standby), synced every `everySeconds` by `vfleet serve` (nil:
        /// only by `guest replicate --sync-now`).
        case keep(to: String?, everySeconds: Double?)
        /// No replica.
        case none
    }

    static let replicateKeys: Set<String> = ["to", "every"]

    /// Reads `replicate:`: true, false, or a mapping of `to` and `every`.
    static func replication(_ f: GuestFields) throws(FleetError) -> Replication? {
        guard let node = f.values["replicate"] else { return nil }
        if let scalar = node.scalar?.string {
            guard let b = Bool(scalar) else {
                throw f.fail("replicate", "use true, false or a mapping like {to: h2, every: 5m}")
            }
            return b ? .keep(to: nil, everySeconds: nil) : Replication.none
        }
        guard let map = node.mapping else { throw f.fail("replicate", "use true, false or a mapping like {to: h2, every: 5m}") }
        var to: String?
        var every: Double?
        for (k, v) in map {
            guard let key = k.string, replicateKeys.contains(key) else {
                throw .invalid("\(f.file):\(where_(k)): replicate: unknown key \"\(k.string ?? "?")\" (known: every, to)")
            }
            guard let text = v.scalar?.string else { throw .invalid("\(f.file):\(where_(v)): replicate: \(key) must be a single value") }
            if key == "to" {
                do { try Names.validate(text, kind: "host") } catch {
                    throw .invalid("\(f.file):\(where_(v)): replicate: to: \(error.message)")
                }
                to = text
            } else {
                // The bounds of `guest replicate --every`.
                guard let seconds = DurationText.seconds(text), seconds >= 10, seconds <= 7 * 86400 else {
                    throw .invalid("\(f.file):\(where_(v)): replicate: every: \"\(text)\" is not a duration between 10s and 7d (e.g. 5m)")
                }
                every = seconds
            }
        }
        return .keep(to: to, everySeconds: every)
    }
}
