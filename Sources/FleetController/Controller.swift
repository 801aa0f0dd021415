import FleetProtocol
import FleetScheduler
import FleetSSH
import Foundation

/// The controller: where the store (desired state), the settings and the
/// transport to the agents are wired together. Every command of `vfleet`
/// is a method here or in an extension (Operations/), so it can be tested
/// without the command line; moves run in the move engine (Operations/Move).
public final class Controller: Sendable {
    /// Internal: the command line reads the desired state through the
    /// controller's methods (Controller+Records), never the store itself.
    let store: FleetStore
    public let settings: ControllerSettings
    /// Direct SSH sessions, one per host.
    public let connections: SSHTransport
    /// Through the connection keeper when the command line enables one,
    /// else `connections`.
    public let keeper: KeeperTransport
    /// What operations call agents through.
    public let agents: any AgentTransport
    /// Writes the event of every change (Events/).
    let recorder: EventRecorder
    /// How moves started from here send layers (`--transport`).
    public let moveTransport = MoveTransportChoice()

    /// Opens the store at `dbPath`; the known_hosts file and the default
    /// identity live next to it unless given. `reason` is the operator's
    /// `--reason`, kept with the event of every change this controller makes.
    public init(dbPath: String, knownHosts: String? = nil, identity: String? = nil, reason: String? = nil) throws(FleetError) {
        let reason = try EventRecorder.validate(reason: reason)
        store = try FleetStore(path: dbPath)
        let dir = store.dataDirectory
        var s = ControllerSettings(knownHostsFile: knownHosts ?? Self.env("VFLEET_KNOWN_HOSTS") ?? dir + "/known_hosts",
                                   identityFile: identity ?? Self.env("VFLEET_IDENTITY") ?? dir + "/id_ed25519")
        try s.apply(try store.settings())
        if let persist = Self.env("VFLEET_SSH_PERSIST") { try s.set("ssh.persist", persist) }
        settings = s
        connections = SSHTransport(settings: s)
        keeper = KeeperTransport(direct: connections)
        agents = keeper
        recorder = EventRecorder(store: store, identity: .current(), reason: reason, retention: s.eventRetentionSeconds)
    }

    /// A controller over a given store and transport (the move engine's
    /// unit tests use an in-memory store and a fake of the agents).
    public init(store: FleetStore, settings: ControllerSettings, transport: any AgentTransport, reason: String? = nil,
                identity: OperatorIdentity = .current()) {
        self.store = store
        recorder = EventRecorder(store: store, identity: identity, reason: reason, retention: settings.eventRetentionSeconds)
        self.settings = settings
        connections = SSHTransport(settings: settings)
        keeper = KeeperTransport(direct: connections)
        agents = transport
    }

    static func env(_ key: String) -> String? {
        guard let v = ProcessInfo.processInfo.environment[key], !v.isEmpty else { return nil }
        return v
    }

    deinit { connections.closeAll() }

    // MARK: config

    public func setConfig(_ key: String, _ value: String) throws(FleetError) {
        try recorder.record("config.set") { (note: inout EventNote) throws(FleetError) in
            note.detail = "\(key) = \(value)"
            var check = settings
            try check.set(key, value)
            try store.setSetting(key, value)
        }
    }

    public func config() throws(FleetError) -> [String: String] { try store.settings() }

    /// Every setting in force for this process, with where its value comes
    /// from; `key` narrows it to one (an unknown key is an error).
    public func configEntries(key: String? = nil) throws(FleetError) -> [ConfigEntry] {
        let known = ControllerSettings.descriptions
        if let key, !known.contains(where: { $0.key == key }) {
            throw .invalid("unknown config key \(key) (known: \(known.map(\.key).joined(separator: ", ")))")
        }
        let stored = try store.settings()
        return known.filter { key == nil || $0.key == key }.map { d in
            if d.key == "ssh.persist", let persist = Self.env("VFLEET_SSH_PERSIST") {
                return ConfigEntry(key: d.key, value: persist, source: .environment, meaning: d.meaning)
            }
            if let value = stored[d.key] { return ConfigEntry(key: d.key, value: value, source: .stored, meaning: d.meaning) }
            return ConfigEntry(key: d.key, value: d.defaultValue, source: .default, meaning: d.meaning)
        }
    }

    // MARK: scheduling inputs

    /// What the scheduler knows of each host, from the store's last facts.
    func capacities(_ hosts: [StoredHost], reachable: Set<String>? = nil) -> [HostCapacity] {
        let restricted = ((try? store.pools()) ?? []).filter { !$0.hosts.isEmpty }
        return hosts.map { h in
            // A host an address pool serves carries that as a label, which
            // the guests holding the pool's addresses require (see demand):
            // every placement, move, evacuation and rebalance keeps them
            // where their addresses are routed.
            var labels = h.labels
            for pool in restricted where pool.serves(h.name) { labels[Self.poolLabel(pool.name)] = "yes" }
            return HostCapacity(
                name: h.name,
                memoryBytes: h.facts?.memoryBytes ?? 0,
                cpuMillis: (h.facts?.cpus ?? 0) * 1000,
                diskBytes: h.facts?.freeDiskBytes ?? 0,
                reservedMemoryBytes: h.reservedMemoryBytes,
                labels: labels,
                cordoned: !h.schedulable,
                reachable: reachable?.contains(h.name) ?? true,
                templateDigests: Set(h.facts?.templates.map(\.digest) ?? []))
        }
    }

    static func poolLabel(_ pool: String) -> String { "vfleet.pool/" + pool }

    func demand(_ g: StoredGuest, templates: [String: StoredTemplate], pools: [StoredAddressPool]? = nil) -> GuestDemand {
        let t = templates[g.template]
        var requires = g.requires
        let addresses = g.spec.interfaceAddresses.map(\.address)
        if !addresses.isEmpty {
            for pool in (pools ?? (try? store.pools()) ?? []) where !pool.hosts.isEmpty {
                if let subnet = pool.subnet, addresses.contains(where: subnet.contains) { requires[Self.poolLabel(pool.name)] = "yes" }
            }
        }
        return GuestDemand(name: g.name, memoryBytes: g.memoryBytes, cpuMillis: g.cpuMillis, diskBytes: g.diskBytes,
                           group: g.groupName, requires: requires, templateDigest: t?.digest ?? "",
                           templateBytes: t?.totalBytes ?? 0)
    }

    func placedGuests() throws(FleetError) -> [PlacedGuest] {
        let pools = try store.pools()
        let templates = Dictionary(uniqueKeysWithValues: try store.templates().map { ($0.name, $0) })
        let guests = Dictionary(uniqueKeysWithValues: try store.guests().map { ($0.name, $0) })
        return try store.placements().compactMap { p in
            guests[p.guest].map { PlacedGuest(guest: demand($0, templates: templates, pools: pools), host: p.host) }
        }
    }

    public func scheduler() throws(FleetError) -> Scheduler {
        Scheduler(hosts: capacities(try store.hosts()), placed: try placedGuests(), policy: settings.placementPolicy)
    }
}
