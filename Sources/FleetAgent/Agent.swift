import FleetKernel
import FleetProtocol
import FleetRootfs
import FleetSystem
import FleetTree
import Foundation
import Glibc

/// The host agent: templates and guests on this host. Every method validates
/// its input before it changes anything, and reads whether a guest runs from
/// the kernel (its cgroup has processes), never from a file.
public final class Agent: Sendable {
    public let paths: AgentPaths
    public let templates: TemplateStore
    public let guests: GuestStore
    public let layout: CgroupLayout
    public let config: AgentConfig

    public init(paths: AgentPaths) throws(FleetError) {
        self.paths = paths
        self.config = try AgentConfig.load(paths: paths)
        self.templates = TemplateStore(paths: paths)
        self.guests = GuestStore(paths: paths)
        do { self.layout = try CgroupLayout.detect() } catch {
            throw FleetError(.unsupported, "cannot read this host's cgroup mounts: \(error) (is /proc mounted?)")
        }
        if layout.hierarchies.isEmpty {
            throw FleetError(.unsupported, "no cgroup file system is mounted on this host (mount cgroup2 on /sys/fs/cgroup)")
        }
        tightenStatePermissions()
    }

    /// The agent-wide lock, for what all guests share: the set of guest
    /// names, context ids and addresses (create, adopt) and the templates.
    /// Held briefly; never taken before a guest's lock is given up, only
    /// after (guest lock, then agent lock), so the two cannot deadlock.
    func lock() throws(FleetError) -> AgentLock {
        try paths.ensure()
        return try AgentLock(path: paths.lockFile)
    }

    /// One guest's lock, for what changes only that guest (start, stop,
    /// destroy): a guest whose stop takes its whole timeout holds up no
    /// other guest.
    func guestLock(_ name: String) throws(FleetError) -> AgentLock {
        try Names.validate(name, kind: "guest")
        try paths.ensure()
        return try AgentLock(path: paths.guestLockFile(name))
    }

    public func cgroup(of name: String) -> GuestCgroup {
        GuestCgroup(layout: layout, relativePath: config.cgroupParent + "/" + name)
    }

    // MARK: create

    public func create(_ spec: GuestSpec) throws(FleetError) -> GuestStatus {
        try spec.validate()
        _ = try capabilities(for: spec)
        _ = try syscallFilter(for: spec)
        let lock = try lock()
        defer { withExtendedLifetime(lock) {} }
        let template = try templates.info(spec.template)
        if guests.exists(spec.name) { throw .conflict("guest \(spec.name) exists already") }
        try checkAddressesFree(spec)
        if spec.initCommand == nil && template.defaultInit.isEmpty {
            throw .invalid("cannot create guest \(spec.name): template \(spec.template) has no /sbin/init (give --init)")
        }
        // systemd exits at once, silently, without CAP_SYS_ADMIN; in the
        // host's user namespace that capability would undo the isolation.
        let sysAdmin = try? Capabilities.number(of: "SYS_ADMIN")
        if (spec.initStyle ?? template.initStyle) == .systemd, !usesUserNamespace(spec),
           let sysAdmin, !(try capabilities(for: spec)).contains(sysAdmin) {
            throw .invalid("cannot create guest \(spec.name): systemd needs CAP_SYS_ADMIN, which without a user namespace means --cap-add SYS_ADMIN and undoes the isolation (drop --no-userns)")
        }
        // Creating a guest is three empty directories and a record, whatever
        // the template's size: the template is the overlay's lower layer.
        let record = GuestRecord(spec: spec, contextId: try GuestRecord.nextContextId(for: spec.name, in: guests.all(), from: config.firstContextId),
                                 templateDigest: template.digest, createdAt: Date().timeIntervalSince1970)
        try guests.create(record)
        return status(of: record)
    }

    // MARK: start

    public struct StartOutcome: Sendable {
        public let status: GuestStatus
        public let warnings: [String]
        public let initPid: pid_t
    }

    public func start(_ name: String) throws(FleetError) -> StartOutcome {
        let lock = try guestLock(name)
        defer { withExtendedLifetime(lock) {} }
        var record = try guests.load(name)
        let cg = cgroup(of: name)
        if let pid = initPid(of: name) {
            throw .conflict("guest \(name) is already running (init pid \(pid))")
        }
        // On disk before anything runs: a move in flight must see this start.
        record.generation = (record.generation ?? 0) + 1
        try guests.save(record)
        if cg.exists {
            // Left over from a guest that ended on its own: empty, so safe to remove.
            do { try cg.remove() } catch { throw .failed("cannot start guest \(name): stale cgroup: \(error)") }
        }
        let template = try templates.info(record.spec.template)
        let spec = record.spec
        var argv = spec.initCommand ?? template.defaultInit
        if initStyle(of: spec) == .systemd { argv += SystemdInContext.commandLine }
        let caps = try capabilities(for: spec)
        let userNS = userNamespace(of: record)
        let layer = try layerDirectories(of: record)
        try prepareOwnership(record, userNamespace: userNS)
        let net = try prepareNetwork(record)
        var boot = GuestBootSpec(
            rootfs: paths.guestRootfs(name),
            overlay: OverlayLayers(lower: paths.templateRootfs(spec.template), upper: layer.upper, work: layer.work),
            hostname: spec.hostname ?? name,
            consoleLog: paths.guestConsoleLog(name),
            privateNetwork: net.newNamespace,
            argv: argv,
            environment: GuestEnvironment.forInit(guest: name),
            capabilities: caps,
            cgroup: cg,
            limits: limitsWithDefaults(spec.limits).cgroupLimits,
            socketFilter: net.filter,
            beforeRelease: net.beforeRelease)
        boot.userNamespace = userNS
        boot.initMounts = initStyle(of: spec) != .plain
        boot.seccomp = try syscallFilter(for: spec)
        boot.consoleLogCap = ConsoleLogCap(bytes: config.consoleLogBytes, files: config.consoleLogFiles)
        let booted: GuestLauncher.Booted
        do { booted = try GuestLauncher.boot(boot) } catch {
            releaseNetwork(name)
            if spec.limits.diskBytes != nil { unmountIdleLayerDisk(name) }
            throw .failed("cannot start guest \(name): \(error)")
        }
        announceNetwork(name)
        ConsoleLoggerRecord.save(pid: booted.consoleLogger, to: paths.guestConsoleLogger(name))
        return StartOutcome(status: status(of: record), warnings: booted.warnings, initPid: booted.pid)
    }

    // MARK: stop

    /// Sends init its stop signal, waits up to `timeout`, then kills every
    /// process left in the guest's cgroup and removes the cgroup. The guest's
    /// mounts live only in its own mount namespace and end with it.
    public func stop(_ name: String, timeout: Double = 10) throws(FleetError) -> GuestStatus {
        let lock = try guestLock(name)
        defer { withExtendedLifetime(lock) {} }
        let record = try guests.load(name)
        let report = try stopLocked(record, timeout: timeout)
        var result = status(of: record)
        result.stop = report
        return result
    }

    @discardableResult
    func stopLocked(_ record: GuestRecord, timeout: Double) throws(FleetError) -> StopReport? {
        let name = record.spec.name
        let cg = cgroup(of: name)
        guard cg.exists else {
            releaseNetwork(name)
            if record.spec.limits.diskBytes != nil { unmountIdleLayerDisk(name) }
            return nil
        }
        let started = Monotonic.now
        let pid = initPid(of: name)
        let request = pid.map { shutdownRequest(for: record, initPid: $0) }
        if let pid, let request {
            var haltWatch = SysvHaltWatch()
            // A telinit still running is not asked again, and is killed at
            // the deadline: it is the guest's program (it may never return).
            var helper = request.send(to: pid, agent: self, record: record)
            defer { if let helper { _ = ChildProcesses.waitStatus(helper, until: 0) } }
            let deadline = Monotonic.now + max(0, timeout)
            var resend = Monotonic.now + 1
            while Monotonic.now < deadline {
                ChildProcesses.reapIfExited(pid)
                if let h = helper, ChildProcesses.reapIfExited(h) { helper = nil }
                let left = cg.processes()
                if left.isEmpty { break }
                if request.isTelinit, haltWatch.isHalted(initPid: pid, processes: left) {
                    // sysvinit ran its shutdown and now waits for a power-off
                    // it may not do here (no CAP_SYS_BOOT): that is the end.
                    kill(pid, SIGKILL)
                }
                // PID 1 ignores a signal it has no handler for yet: an init
                // stopped right after start may not have set it up. Ask again.
                if Monotonic.now >= resend, helper == nil {
                    helper = request.send(to: pid, agent: self, record: record)
                    resend = Monotonic.now + 1
                }
                usleep(10_000)
            }
            ChildProcesses.reapIfExited(pid)
        }
        let left = cg.processes().count
        let seconds = Monotonic.now - started
        do {
            try cg.killAll(timeoutSeconds: 10)
            try cg.remove()
        } catch {
            throw .failed("cannot stop guest \(name): \(error)")
        }
        // Only once nothing of the guest runs: its addresses go last.
        releaseNetwork(name)
        if record.spec.limits.diskBytes != nil { unmountIdleLayerDisk(name) }
        ConsoleLoggerRecord.waitAndRemove(paths.guestConsoleLogger(name))
        return StopReport(request: request?.description ?? "none (no init)", clean: request != nil && left == 0,
                          seconds: seconds, killed: left)
    }

    public func restart(_ name: String, timeout: Double = 10) throws(FleetError) -> StartOutcome {
        _ = try stop(name, timeout: timeout)
        return try start(name)
    }

    // MARK: destroy

    public func destroy(_ name: String, force: Bool) throws(FleetError) {
        let lock = try guestLock(name)
        defer { withExtendedLifetime(lock) {} }
        let record = try guests.load(name)
        if cgroup(of: name).isPopulated {
            guard force else { throw .conflict("cannot destroy guest \(name): it is running (stop it first, or use --force)") }
            try stopLocked(record, timeout: 0)
        } else if cgroup(of: name).exists {
            try? cgroup(of: name).remove()
        }
        releaseNetwork(name)
        if record.spec.limits.diskBytes != nil { unmountLayerDisk(name) }
        try guests.remove(name)
    }

    // MARK: status

    /// The init of a running guest: the process of its cgroup that is PID 1
    /// of its own pid namespace.
    /// (The init joined first: it is almost always the lowest pid, so the
    /// search reads one status file, not one per process.)
    public func initPid(of name: String) -> pid_t? {
        for pid in cgroup(of: name).processes().sorted() where ProcessFacts.namespacePids(pid).last == 1 {
            return pid
        }
        return nil
    }

    public func status(_ name: String) throws(FleetError) -> GuestStatus {
        status(of: try guests.load(name))
    }

    public func list() -> [GuestStatus] {
        guests.all().map(status(of:))
    }

    func status(of record: GuestRecord) -> GuestStatus {
        let cg = cgroup(of: record.spec.name)
        let pid = initPid(of: record.spec.name)
        let usage = cg.usage()
        let running = usage.processes > 0
        let caps = (try? capabilities(for: record.spec))?.names ?? []
        return GuestStatus(
            name: record.spec.name, template: record.spec.template, state: running ? .running : .stopped,
            contextId: record.contextId, initPid: pid.map(Int.init), processes: usage.processes,
            memoryBytes: running ? usage.memoryBytes : nil,
            cpuSeconds: running ? usage.cpuNanos.map { Double($0) / 1e9 } : nil,
            uptimeSeconds: pid.flatMap(ProcessFacts.uptimeSeconds),
            limits: record.spec.limits, autostart: record.spec.autostart, network: record.spec.network,
            addresses: record.spec.addresses, capabilities: caps,
            hostIDs: userNamespace(of: record).map { "\($0.hostBase)-\($0.hostBase + $0.count - 1)" },
            generation: record.generation ?? 0)
    }

    // MARK: capabilities

    /// VServer's secure set (with a user namespace, also what systemd
    /// needs inside it), plus --cap-add, minus --cap-drop.
    public func capabilities(for spec: GuestSpec) throws(FleetError) -> CapabilitySet {
        do {
            let add = try CapabilitySet(names: spec.capAdd)
            let drop = try CapabilitySet(names: spec.capDrop)
            var base = Capabilities.vserverSecure
            if usesUserNamespace(spec) {
                base = base.union(try CapabilitySet(names: Self.userNamespaceExtras))
                // Its own network namespace then belongs to its user namespace too.
                if spec.network == .none || spec.network == .private { base = base.union(try CapabilitySet(names: ["NET_ADMIN"])) }
            }
            return base.union(add).subtracting(drop)
        } catch {
            throw .invalid("guest \(spec.name): unknown capability: \(error)")
        }
    }

    // MARK: templates

    public func removeTemplate(_ name: String) throws(FleetError) {
        let lock = try lock()
        defer { withExtendedLifetime(lock) {} }
        try templates.remove(name: name, guests: guests.all())
    }

    public func buildTemplate(kind: String, name: String, debian: DebianBuildOptions = DebianBuildOptions()) throws(FleetError) -> TemplateInfo {
        try Names.validate(name, kind: "template")
        switch kind {
        case "busybox": return try templates.buildBusybox(name: name)
        case "debian":
            // No agent lock: debootstrap takes a minute, and the template
            // appears only by the final rename.
            return try templates.buildDebian(name: name, options: debian)
        default: throw .invalid("unknown template kind \"\(kind)\" (known: busybox, debian)")
        }
    }

    public func receiveTemplate(name: String, archive: String, expectedDigest: String) throws(FleetError) -> TemplateInfo {
        let lock = try lock()
        defer { withExtendedLifetime(lock) {} }
        return try templates.receive(name: name, archive: archive, expectedDigest: expectedDigest)
    }

    public func importTemplate(name: String, path: String) throws(FleetError) -> TemplateInfo {
        try Names.validate(name, kind: "template")
        return try templates.importTree(name: name, from: path)
    }
}

extension GuestLimits {
    var cgroupLimits: CgroupLimits {
        CgroupLimits(memoryBytes: memoryBytes, cpuMillis: cpuMillis, cpuWeight: cpuWeight, pids: pids, ioWeight: ioWeight)
    }
}
