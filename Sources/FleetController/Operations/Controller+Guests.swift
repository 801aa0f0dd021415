import FleetProtocol
import FleetScheduler
import Foundation

extension Controller {
    public struct GuestRequest: Sendable {
        public var spec: GuestSpec
        public var diskBytes: UInt64?
        public var host: String?
        public var group: String?
        public var requires: [String: String] = [:]
        public var desiredState: StoredGuest.DesiredState = .running
        /// The pool to take the guest's address from.
        public var pool: String?
        /// Neither --net nor --ip was given: isolated with an address from a
        /// pool serving the chosen host if there is one, else loopback only.
        public var automaticNetwork = false

        public init(spec: GuestSpec) { self.spec = spec }
    }

    /// What the scheduler reserves for a guest: its limits, else the defaults.
    func storedGuest(_ r: GuestRequest) -> StoredGuest {
        StoredGuest(name: r.spec.name, template: r.spec.template, spec: r.spec,
                    memoryBytes: r.spec.limits.memoryBytes ?? settings.defaultMemoryBytes,
                    cpuMillis: r.spec.limits.cpuMillis ?? settings.defaultCPUMillis,
                    diskBytes: r.diskBytes ?? settings.defaultDiskBytes,
                    groupName: r.group, requires: r.requires, desiredState: r.desiredState,
                    createdAt: Date().timeIntervalSince1970)
    }

    func validate(_ r: GuestRequest) throws(FleetError) {
        var spec = r.spec
        if spec.network.takesAddresses && (spec.addresses ?? []).isEmpty {
            // The address comes from a pool at placement; check the rest now
            // with a stand-in (TEST-NET-1, never allocated).
            spec.addresses = [spec.network == .private ? "192.0.2.2/24" : "192.0.2.2"]
            if spec.network == .private, spec.gateway != nil { spec.gateway = "192.0.2.1" }
        }
        try spec.validate()
        if let g = r.group { try Names.validate(g, kind: "group") }
        for (k, v) in r.requires where k.isEmpty || v.isEmpty { throw .invalid("invalid --require \(k)=\(v) (use KEY=VALUE)") }
        _ = try store.template(r.spec.template)
        if (try? store.guest(r.spec.name)) != nil { throw .conflict("guest \(r.spec.name) exists already (on host \((try? store.placement(of: r.spec.name))??.host ?? "?"))") }
        if let h = r.host { _ = try store.host(h) }
    }

    /// Chooses a host (the given one or the scheduler's) and records the
    /// guest there. Nothing is recorded when it fits nowhere.
    func place(_ r: GuestRequest) throws(FleetError) -> (StoredGuest, StoredHost) {
        var r = r
        let pool = try r.pool.map { (name: String) throws(FleetError) in try store.pool(name) }
        if pool != nil && r.automaticNetwork {
            r.spec.network = .isolated
            r.automaticNetwork = false
        }
        if pool != nil, !r.spec.network.takesAddresses {
            throw .invalid("guest \(r.spec.name): --pool gives an address, which --net \(r.spec.network.rawValue) does not take (use --net isolated or private)")
        }
        try validate(r)
        var guest = storedGuest(r)
        if let pool, !pool.hosts.isEmpty, let h = r.host, !pool.serves(h) {
            throw .conflict("cannot place guest \(r.spec.name) on \(h): address pool \(pool.name) serves only \(pool.hosts.joined(separator: ", "))")
        }
        var scheduler = try scheduler()
        let templates = Dictionary(uniqueKeysWithValues: try store.templates().map { ($0.name, $0) })
        var d = demand(guest, templates: templates)
        // Its address is not chosen yet: the pool's label says where it may
        // be routed, as it does for every placed guest (see demand).
        if let pool, !pool.hosts.isEmpty { d.requires[Self.poolLabel(pool.name)] = "yes" }
        let result = r.host.map { scheduler.place(d, on: $0) } ?? scheduler.place(d)
        switch result {
        case .failure(let failure):
            throw FleetError(.conflict, failure.description)
        case .success(let hostName):
            var from = guest.spec.network.takesAddresses && (guest.spec.addresses ?? []).isEmpty ? pool : nil
            if r.automaticNetwork {
                if let serving = try store.pools().first(where: { $0.serves(hostName) }) {
                    guest.spec.network = .isolated
                    from = serving
                } else {
                    guest.spec.network = .none
                }
            }
            if guest.spec.network.takesAddresses && (guest.spec.addresses ?? []).isEmpty && from == nil {
                throw .invalid("guest \(r.spec.name) needs an address: give --ip, or --pool, or add a pool (`vfleet net pool add`)")
            }
            guest = try store.insertGuest(guest, on: hostName, allocateFrom: from)
            return (guest, try store.host(hostName))
        }
    }

    /// `vfleet guest create`: records the desired guest, places it, makes
    /// sure its template is on the host, creates it there and starts it
    /// (unless the desired state is stopped). A failure at the host removes
    /// the record again: the store never claims a guest no host has.
    public func createGuest(_ r: GuestRequest) throws(FleetError) -> (StoredGuest, StoredHost, GuestStatus?) {
        try createGuest(r, within: nil)
    }

    /// `within`: the command this creation is part of (apply), for its event.
    func createGuest(_ r: GuestRequest, within command: String?) throws(FleetError) -> (StoredGuest, StoredHost, GuestStatus?) {
        try recorder.record("guest.create", command: command, guest: r.spec.name, host: r.host,
                            template: r.spec.template) { (note: inout EventNote) throws(FleetError) in
            let (guest, host) = try place(r)
            note.host = host.name
            do throws(FleetError) {
                let status = try realize(guest, on: host)
                return (guest, host, status)
            } catch {
                try? store.deleteGuest(guest.name)
                throw error
            }
        }
    }

    /// Creates a recorded guest on its host and brings it to its desired state.
    func realize(_ guest: StoredGuest, on host: StoredHost) throws(FleetError) -> GuestStatus? {
        try ensureTemplate(try store.template(guest.template), on: host)
        var result = try agents.call(RPC.GuestCreate(spec: guest.spec), on: host)
        if guest.desiredState == .running {
            result = try agents.call(RPC.GuestStart(name: guest.name), on: host)
        }
        return result.guest
    }

    func hostOf(_ guest: String) throws(FleetError) -> StoredHost {
        _ = try store.guest(guest)
        guard let p = try store.placement(of: guest) else { throw .conflict("guest \(guest) is not placed on any host") }
        return try store.host(p.host)
    }

    public func startGuest(_ name: String) throws(FleetError) -> GuestOperationResult {
        try startGuest(name, within: nil)
    }

    func startGuest(_ name: String, within command: String?) throws(FleetError) -> GuestOperationResult {
        try recorder.record("guest.start", command: command, guest: name) { (note: inout EventNote) throws(FleetError) in
            try assertNoOperation(name)
            let host = try hostOf(name)
            note.host = host.name
            try store.setDesiredState(name, .running)
            let status = try agents.call(RPC.GuestStatus(name: name), on: host)
            if status.state == .running {
                note.detail = "running already"
                return GuestOperationResult(guest: status)
            }
            return try agents.call(RPC.GuestStart(name: name), on: host)
        }
    }

    public func stopGuest(_ name: String, timeout: Double = 10) throws(FleetError) -> GuestOperationResult {
        try stopGuest(name, timeout: timeout, within: nil)
    }

    func stopGuest(_ name: String, timeout: Double = 10, within command: String?) throws(FleetError) -> GuestOperationResult {
        try recorder.record("guest.stop", command: command, guest: name) { (note: inout EventNote) throws(FleetError) in
            try assertNoOperation(name)
            let host = try hostOf(name)
            note.host = host.name
            try store.setDesiredState(name, .stopped)
            return try agents.call(RPC.GuestStop(name: name, timeoutSeconds: timeout), on: host, timeout: timeout + settings.callTimeout)
        }
    }

    public func restartGuest(_ name: String, timeout: Double = 10) throws(FleetError) -> GuestOperationResult {
        try recorder.record("guest.restart", guest: name) { (note: inout EventNote) throws(FleetError) in
            try assertNoOperation(name)
            let host = try hostOf(name)
            note.host = host.name
            try store.setDesiredState(name, .running)
            return try agents.call(RPC.GuestRestart(name: name, timeoutSeconds: timeout), on: host, timeout: timeout + settings.callTimeout)
        }
    }

    /// Destroys the guest at its host, then forgets it. A host that no
    /// longer has the guest is fine; an unreachable host is an error unless
    /// `forget` (then the guest is only dropped from the store, and the
    /// host's copy shows up as unknown in the inventory).
    public func destroyGuest(_ name: String, force: Bool, forget: Bool = false) throws(FleetError) {
        try recorder.record("guest.destroy", guest: name) { (note: inout EventNote) throws(FleetError) in
            try assertNoOperation(name)
            let host = try hostOf(name)
            note.host = host.name
            do throws(FleetError) {
                _ = try agents.call(RPC.GuestDestroy(name: name, force: force), on: host)
            } catch {
                switch error.code {
                case .notFound: note.detail = "gone from its host already"
                case .unreachable where forget: note.detail = "forgotten: host \(host.name) unreachable (\(error.message))"
                default: throw error
                }
            }
            try store.deleteGuest(name)
        }
    }

    public func execGuest(_ name: String, argv: [String], stdin: String? = nil, timeout: Double = 60) throws(FleetError) -> GuestExecResult {
        // A move in flight may have stopped the guest for its copy: a write
        // now would be lost, or would make the move roll back. A sync does
        // not mind: its point is the layer as it was when frozen.
        if let op = try store.operationInFlight(guest: name), op.kind != Self.syncKind {
            throw .conflict(Self.inFlightMessage(name, op))
        }
        let host = try hostOf(name)
        return try agents.call(RPC.GuestExec(GuestExecParams(name: name, argv: argv, stdin: stdin, timeoutSeconds: timeout)), on: host, timeout: timeout + settings.callTimeout)
    }

    public struct GuestView: Codable, Sendable {
        public var guest: StoredGuest
        public var host: String?
        /// nil when the host could not be asked.
        public var actual: GuestStatus?
        public var error: String?
        /// The guest's last events, oldest first (`vfleet events --guest NAME` lists them all).
        public var recentEvents: [StoredEvent] = []
        /// The guest's replica on its standby host, if it has one.
        public var replica: ReplicaSummary?
    }

    /// `vfleet guest show`: the desired guest and what its host reports.
    public func showGuest(_ name: String) throws(FleetError) -> GuestView {
        var view = try guestAsItsHostSays(name)
        view.replica = try replicaSummary(name)
        return view
    }

    private func guestAsItsHostSays(_ name: String) throws(FleetError) -> GuestView {
        let guest = try store.guest(name)
        let recent = try store.events(EventFilter(guest: name, limit: 5))
        guard let p = try store.placement(of: name) else {
            return GuestView(guest: guest, host: nil, actual: nil, error: "not placed", recentEvents: recent)
        }
        do {
            let status = try agents.call(RPC.GuestStatus(name: name), on: try store.host(p.host))
            return GuestView(guest: guest, host: p.host, actual: status, error: nil, recentEvents: recent)
        } catch {
            return GuestView(guest: guest, host: p.host, actual: nil, error: error.message, recentEvents: recent)
        }
    }
}
