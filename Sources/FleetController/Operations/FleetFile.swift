import FleetProtocol
import Foundation
import Yams

/// The declarative file of `vfleet apply -f`: guests and their desired state.
///
/// ```yaml
/// guests:
///   - name: web1
///     template: busybox
///     memory: 64M        # also cpus, pids, disk, cpu-weight, io-weight
///     group: web         # anti-affinity
///     require: {zone: eu}
///     host: h1           # optional: pin to a host
///     state: running     # or stopped
///     replicate: {to: h2, every: 5m}   # or true, or false (FleetFileReplication.swift)
/// ```
public struct FleetFile: Sendable, Equatable {
    public struct Guest: Sendable, Equatable {
        public var request: Controller.GuestRequest
        /// Where it stands in the file, for messages.
        public var line: Int
        /// The `replicate:` key; nil when the file does not say (the guest's
        /// replica, if any, is left as it is).
        public var replicate: Replication? = nil
    }

    public var guests: [Guest]

    static let guestKeys: Set<String> = ["name", "template", "memory", "cpus", "cpu-weight", "pids", "io-weight", "disk", "host",
                                         "group", "require", "state", "hostname", "init", "autostart", "net", "ip", "pool",
                                         "gateway", "bridge", "cap-add", "cap-drop", "init-style", "userns",
                                         "allow-syscall", "replicate"]

    /// Parses YAML text; every error names the line and column.
    public static func parse(_ text: String, file: String = "fleet.yaml") throws(FleetError) -> FleetFile {
        let node: Node
        do {
            guard let n = try Yams.compose(yaml: text) else { throw FleetError.invalid("\(file): the file is empty (expected `guests:`)") }
            node = n
        } catch let e as FleetError {
            throw e
        } catch let e as YamlError {
            throw .invalid("\(file): malformed YAML: \(describe(e))")
        } catch {
            throw .invalid("\(file): malformed YAML: \(error)")
        }
        guard let top = node.mapping else { throw .invalid("\(file):\(where_(node)): expected a mapping with `guests:`") }
        for (k, _) in top where k.string != "guests" {
            throw .invalid("\(file):\(where_(k)): unknown key \"\(k.string ?? "?")\" (expected `guests:`)")
        }
        guard let list = top["guests"] else { return FleetFile(guests: []) }
        guard let seq = list.sequence else { throw .invalid("\(file):\(where_(list)): `guests` must be a list") }
        var guests: [Guest] = []
        var seen: Set<String> = []
        for item in seq {
            let g = try guest(item, file: file)
            if seen.contains(g.request.spec.name) {
                throw .invalid("\(file):\(where_(item)): guest \(g.request.spec.name) appears twice")
            }
            seen.insert(g.request.spec.name)
            guests.append(g)
        }
        return FleetFile(guests: guests)
    }

    static func guest(_ node: Node, file: String) throws(FleetError) -> Guest {
        let fields = try GuestFields(node, file: file)
        guard let name = try fields.text("name") else { throw .invalid("\(file):\(where_(node)): a guest needs `name`") }
        guard let template = try fields.text("template") else { throw .invalid("\(file):\(where_(node)): guest \(name) needs `template`") }
        let spec = try guestSpec(fields, name: name, template: template, limits: try limits(fields))
        let r = try request(fields, spec: spec)
        // With a pool and no address the address comes at placement; the
        // controller checks the rest then.
        let allocated = r.spec.network.takesAddresses && (r.spec.addresses ?? []).isEmpty && r.pool != nil
        if !allocated {
            do { try r.spec.validate() } catch { throw .invalid("\(file):\(where_(node)): \(error.message)") }
        }
        return Guest(request: r, line: node.mark.map { $0.line } ?? 0, replicate: try replication(fields))
    }

    static func limits(_ f: GuestFields) throws(FleetError) -> GuestLimits {
        var limits = GuestLimits()
        if let m = try f.text("memory") {
            guard let b = ByteSize.parse(m) else { throw f.fail("memory", "cannot read \"\(m)\" (use e.g. 256M)") }
            limits.memoryBytes = b
        }
        if let c = try f.text("cpus") {
            guard let v = GuestLimits.parseCPUs(c) else { throw f.fail("cpus", "cannot read \"\(c)\" (use e.g. 0.5)") }
            limits.cpuMillis = v
        }
        for (key, path) in [("pids", \GuestLimits.pids), ("cpu-weight", \GuestLimits.cpuWeight), ("io-weight", \GuestLimits.ioWeight)] {
            if let t = try f.text(key) {
                guard let n = Int(t) else { throw f.fail(key, "\"\(t)\" is not a whole number") }
                limits[keyPath: path] = n
            }
        }
        return limits
    }

    static func guestSpec(_ f: GuestFields, name: String, template: String, limits: GuestLimits) throws(FleetError) -> GuestSpec {
        var spec = GuestSpec(name: name, template: template, limits: limits)
        spec.hostname = try f.text("hostname")
        if let i = try f.text("init") { spec.initCommand = try ShellWords.split(i) }
        if let style = try f.text("init-style") {
            guard let s = InitStyle(rawValue: style) else { throw f.fail("init-style", "use plain, sysv or systemd") }
            spec.initStyle = s
        }
        if let b = try f.flag("userns") { spec.userNamespace = b }
        if let b = try f.flag("autostart") { spec.autostart = b }
        if let n = try f.text("net") {
            guard let mode = NetworkMode(rawValue: n) else { throw f.fail("net", "use isolated, private, none or host") }
            spec.network = mode
        }
        if let v = f.values["ip"] {
            if let one = v.string { spec.addresses = [one] } else if let seq = v.sequence {
                spec.addresses = seq.compactMap { $0.string }
            } else { throw f.fail("ip", "an address or a list of addresses, e.g. 10.40.0.5") }
            if f.values["net"] == nil { spec.network = .isolated }
        }
        spec.gateway = try f.text("gateway")
        spec.bridge = try f.text("bridge")
        for (key, path) in [("cap-add", \GuestSpec.capAdd), ("cap-drop", \GuestSpec.capDrop)] {
            if let v = f.values[key] {
                guard let seq = v.sequence else { throw f.fail(key, "must be a list of capability names") }
                spec[keyPath: path] = seq.compactMap { $0.string }
            }
        }
        if let v = f.values["allow-syscall"] {
            guard let seq = v.sequence else { throw f.fail("allow-syscall", "must be a list of rule names of the seccomp filter, e.g. [keyctl]") }
            spec.allowSyscalls = seq.compactMap { $0.string }
        }
        return spec
    }

    static func request(_ f: GuestFields, spec: GuestSpec) throws(FleetError) -> Controller.GuestRequest {
        var r = Controller.GuestRequest(spec: spec)
        if let d = try f.text("disk") {
            guard let b = ByteSize.parse(d) else { throw f.fail("disk", "cannot read \"\(d)\" (use e.g. 2G)") }
            r.diskBytes = b
            r.spec.limits.diskBytes = b
        }
        r.host = try f.text("host")
        r.group = try f.text("group")
        r.pool = try f.text("pool")
        if r.pool != nil && f.values["net"] == nil && f.values["ip"] == nil { r.spec.network = .isolated }
        if let req = f.values["require"] {
            guard let m = req.mapping else { throw f.fail("require", "must be a mapping of labels, e.g. {zone: eu}") }
            for (k, v) in m {
                guard let ks = k.string, let vs = v.string else { throw f.fail("require", "labels are KEY: VALUE") }
                r.requires[ks] = vs
            }
        }
        if let s = try f.text("state") {
            guard let st = StoredGuest.DesiredState(rawValue: s) else { throw f.fail("state", "use running or stopped") }
            r.desiredState = st
        }
        return r
    }

    /// One guest's mapping, read key by key; errors name the file, line and key.
    struct GuestFields {
        let node: Node
        let file: String
        let values: [String: Node]

        init(_ node: Node, file: String) throws(FleetError) {
            guard let map = node.mapping else { throw .invalid("\(file):\(where_(node)): each guest must be a mapping (name: …, template: …)") }
            var values: [String: Node] = [:]
            for (k, v) in map {
                guard let key = k.string, guestKeys.contains(key) else {
                    throw .invalid("\(file):\(where_(k)): unknown key \"\(k.string ?? "?")\" (known: \(guestKeys.sorted().joined(separator: ", ")))")
                }
                values[key] = v
            }
            self.node = node
            self.file = file
            self.values = values
        }

        func text(_ key: String) throws(FleetError) -> String? {
            guard let v = values[key] else { return nil }
            guard let s = v.scalar?.string else { throw .invalid("\(file):\(where_(v)): \(key) must be a single value") }
            return s
        }

        func flag(_ key: String) throws(FleetError) -> Bool? {
            guard let t = try text(key) else { return nil }
            guard let b = Bool(t) else { throw fail(key, "use true or false") }
            return b
        }

        func fail(_ key: String, _ why: String) -> FleetError {
            .invalid("\(file):\(where_(values[key] ?? node)): \(key): \(why)")
        }
    }

    static func where_(_ node: Node) -> String {
        guard let m = node.mark else { return "?" }
        return "\(m.line):\(m.column)"
    }

    static func describe(_ e: YamlError) -> String {
        switch e {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _):
            return "line \(mark.line), column \(mark.column): \(problem)\(context.map { " (\($0.text))" } ?? "")"
        default:
            return "\(e)"
        }
    }
}

extension Controller.GuestRequest: Equatable {
    public static func == (a: Self, b: Self) -> Bool {
        a.spec == b.spec && a.diskBytes == b.diskBytes && a.host == b.host && a.group == b.group && a.requires == b.requires && a.desiredState == b.desiredState
    }
}
