import FleetProtocol
import GRDB

/// A range of addresses the controller hands to guests (table `address_pools`).
public struct StoredAddressPool: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "address_pools"

    public var name: String
    /// "10.0.0.0/24".
    public var cidr: String
    /// Hosts whose guests may take addresses from it; empty: every host.
    public var hosts: [String]
    /// For private guests: their default route (never handed out).
    public var gateway: String?
    public var createdAt: Double

    public init(name: String, cidr: String, hosts: [String], gateway: String?, createdAt: Double) {
        self.name = name
        self.cidr = cidr
        self.hosts = hosts
        self.gateway = gateway
        self.createdAt = createdAt
    }

    public var subnet: IPv4CIDR? { IPv4CIDR(cidr) }

    public func serves(_ host: String) -> Bool { hosts.isEmpty || hosts.contains(host) }
}

/// One address given to one guest (table `addresses`). The address is the
/// primary key: the store itself refuses to give an address twice.
public struct StoredAddress: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "addresses"

    public var address: String
    public var guest: String
    /// The pool it came from; nil for an address given with --ip outside every pool.
    public var pool: String?
    public var allocatedAt: Double

    public init(address: String, guest: String, pool: String?, allocatedAt: Double) {
        self.address = address
        self.guest = guest
        self.pool = pool
        self.allocatedAt = allocatedAt
    }
}
