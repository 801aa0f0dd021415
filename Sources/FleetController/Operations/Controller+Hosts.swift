import FleetProtocol
import FleetSSH
import Foundation

extension Controller {
    public struct HostRequest: Sendable {
        public var name: String
        public var address: String
        public var user: String = "root"
        public var identity: String?
        public var labels: [String: String] = [:]
        public var reservedMemoryBytes: UInt64 = 0
        public var acceptNewHostKey = false

        public init(name: String, address: String) {
            self.name = name
            self.address = address
        }
    }

    /// `vfleet host add`: connect, check the host key, hello, record facts.
    public func addHost(_ r: HostRequest) throws(FleetError) -> StoredHost {
        try recorder.record("host.add", host: r.name) { (note: inout EventNote) throws(FleetError) in
            note.detail = "address \(r.address), user \(r.user)"
            return try enrol(r)
        }
    }

    func enrol(_ r: HostRequest) throws(FleetError) -> StoredHost {
        try Names.validate(r.name, kind: "host")
        if (try? store.host(r.name)) != nil { throw .conflict("host \(r.name) is enrolled already (host show \(r.name))") }
        let (address, port): (String, Int)
        do { (address, port) = try SSHEndpoint.parseAddress(r.address) } catch {
            throw .invalid("cannot read address \"\(r.address)\": \(error.message) (use ADDR or ADDR:PORT)")
        }
        for (k, v) in r.labels where k.isEmpty || v.isEmpty || k.contains("=") {
            throw .invalid("invalid label \(k)=\(v) (use KEY=VALUE)")
        }
        let identity = r.identity ?? settings.identityFile
        guard FileManager.default.isReadableFile(atPath: identity) else {
            throw .invalid("cannot read the controller's SSH key \(identity) (give --identity, or create one with `vfleet key generate`)")
        }
        let endpoint = SSHEndpoint(host: address, port: port, user: r.user, identityFile: identity, knownHostsFile: settings.knownHostsFile)
        let met = try connections.enrol(r.name, at: endpoint, acceptNewHostKey: r.acceptNewHostKey)
        let now = Date().timeIntervalSince1970
        let host = StoredHost(name: r.name, address: address, port: port, user: r.user, identityFile: identity, labels: r.labels,
                              reservedMemoryBytes: r.reservedMemoryBytes, facts: met.hello.host,
                              hostKeyFingerprint: met.hostKeyFingerprint, addedAt: now, lastSeenAt: now)
        if r.reservedMemoryBytes >= met.hello.host.memoryBytes {
            throw .invalid("reserved memory \(ByteSize.format(r.reservedMemoryBytes)) is not below host \(r.name)'s memory \(ByteSize.format(met.hello.host.memoryBytes))")
        }
        try store.insertHost(host)
        return host
    }

    /// Asks the agent again and stores its facts.
    @discardableResult
    public func refreshHost(_ name: String) throws(FleetError) -> StoredHost {
        var host = try store.host(name)
        let hello = try agents.call(RPC.Hello(HelloParams(client: "vfleet-controller")), on: host)
        host.facts = hello.host
        host.lastSeenAt = Date().timeIntervalSince1970
        try store.updateHost(host)
        return host
    }

    public func removeHost(_ name: String) throws(FleetError) {
        try recorder.record("host.remove", host: name) { (_: inout EventNote) throws(FleetError) in
            _ = try store.host(name)
            try store.removeHost(name)
        }
    }

    public func setCordoned(_ name: String, _ cordoned: Bool) throws(FleetError) -> StoredHost {
        try recorder.record(cordoned ? "host.cordon" : "host.uncordon", host: name) { (_: inout EventNote) throws(FleetError) in
            var host = try store.host(name)
            host.cordoned = cordoned
            try store.updateHost(host)
            return host
        }
    }
}
