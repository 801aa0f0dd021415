import FleetProtocol
import Foundation

/// Address pools and the addresses given to guests (docs/guide/networking.md).
extension Controller {
    public struct PoolView: Codable, Sendable {
        public var name: String
        public var cidr: String
        public var hosts: [String]
        public var gateway: String?
        public var used: Int
        public var size: UInt64
    }

    public struct AddressView: Codable, Sendable {
        public var address: String
        public var guest: String
        public var host: String?
        public var pool: String?
        public var network: NetworkMode?
    }

    /// `vfleet net pool add NAME CIDR [--hosts H,...] [--gateway G]`.
    public func addPool(_ name: String, cidr text: String, hosts: [String], gateway: String?) throws(FleetError) -> StoredAddressPool {
        try recorder.record("net.pool.add") { (note: inout EventNote) throws(FleetError) in
            note.detail = "pool \(name) \(text)\(hosts.isEmpty ? "" : " for " + hosts.joined(separator: ","))\(gateway.map { " gateway \($0)" } ?? "")"
            return try insertPool(name, cidr: text, hosts: hosts, gateway: gateway)
        }
    }

    func insertPool(_ name: String, cidr text: String, hosts: [String], gateway: String?) throws(FleetError) -> StoredAddressPool {
        try Names.validate(name, kind: "address pool")
        guard let cidr = IPv4CIDR(text), cidr.address == cidr.network else {
            let hint = IPv4CIDR(text).map { " (did you mean \($0.network)/\($0.prefix)?)" } ?? " (use NETWORK/PREFIX, e.g. 10.40.0.0/24)"
            throw .invalid("address pool \(name): \(text) is not a network\(hint)")
        }
        guard cidr.assignable != nil, cidr.prefix >= 8 else {
            throw .invalid("address pool \(name): \(text) is too \(cidr.prefix < 8 ? "large (at most a /8)" : "small (no address to give)")")
        }
        for h in hosts { _ = try store.host(h) }
        if let gateway {
            guard let g = IPv4Address(gateway), cidr.contains(g) else {
                throw .invalid("address pool \(name): gateway \(gateway) is not an address in \(text)")
            }
        }
        let pool = StoredAddressPool(name: name, cidr: cidr.description, hosts: Array(Set(hosts)).sorted(), gateway: gateway,
                                     createdAt: Date().timeIntervalSince1970)
        try store.insertPool(pool)
        return pool
    }

    public func removePool(_ name: String) throws(FleetError) {
        try recorder.record("net.pool.remove") { (note: inout EventNote) throws(FleetError) in
            note.detail = "pool \(name)"
            try store.removePool(name)
        }
    }

    public func poolViews() throws(FleetError) -> [PoolView] {
        let used = Dictionary(grouping: try store.addresses().compactMap(\.pool), by: { $0 }).mapValues(\.count)
        return try store.pools().map { p in
            let size = p.subnet?.assignable.map { UInt64($0.upperBound - $0.lowerBound) + 1 } ?? 0
            return PoolView(name: p.name, cidr: p.cidr, hosts: p.hosts, gateway: p.gateway, used: used[p.name] ?? 0, size: size)
        }
    }

    public func addressViews() throws(FleetError) -> [AddressView] {
        let guests = Dictionary(uniqueKeysWithValues: try store.guests().map { ($0.name, $0) })
        return try store.addresses().map { a in
            AddressView(address: a.address, guest: a.guest, host: (try? store.placement(of: a.guest))??.host, pool: a.pool,
                        network: guests[a.guest]?.spec.network)
        }
    }
}
