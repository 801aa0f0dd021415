import FleetProtocol
import FleetSSH
import Foundation
import Glibc

/// The multi-host test cluster on one machine (DESIGN.md): each host is a
/// network namespace with a veth into a bridge, an address from
/// 10.231.K.0/24 used only inside these namespaces, its own mount namespace
/// with its own /var/lib/vfleet, and a real OpenSSH sshd whose only key is
/// the controller's, with the forced command `vfleet-agent rpc`.
public enum DevCluster {
    public static let stateFile = "cluster.json"

    public static func load(directory: String) throws(FleetError) -> DevClusterState {
        let path = directory + "/" + stateFile
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .notFound("no test cluster in \(directory) (start one with `vfleet dev-cluster up --dir \(directory)`)")
        }
        do { return try JSONDecoder().decode(DevClusterState.self, from: data) } catch {
            throw .failed("cannot read \(path): \(error)")
        }
    }

    /// Brings up `count` hosts. On any failure everything made so far is torn down.
    /// `smallDisks`: host number (1-based) → size of a loop-mounted ext4
    /// (with a journal) that holds that host's state directory: a disk of its
    /// own, full-able by tests, and not this machine's root file system.
    /// `controllers` > 0 also starts a 3-member etcd and that many controller
    /// machines sharing the fleet through it (a replicated store).
    public static func up(hosts count: Int, directory: String, agentBinary: String, smallDisks: [Int: UInt64] = [:],
                          controllers: Int = 0) throws(FleetError) -> DevClusterState {
        guard (1...maximumHosts).contains(count) else { throw .invalid("--hosts must be between 1 and \(maximumHosts)") }
        guard (0...maximumControllers).contains(controllers) else { throw .invalid("--controllers must be between 0 and \(maximumControllers)") }
        guard getuid() == 0 else { throw .invalid("the test cluster needs root (network namespaces, mounts, sshd)") }
        guard FileManager.default.isExecutableFile(atPath: agentBinary) else {
            throw .invalid("vfleet-agent not found at \(agentBinary) (build it, or give --agent)")
        }
        for tool in ["/usr/sbin/sshd", "/usr/bin/ssh-keygen", "/usr/sbin/ip", "/usr/bin/unshare"] where !FileManager.default.isExecutableFile(atPath: tool) && !FileManager.default.isExecutableFile(atPath: tool.replacingOccurrences(of: "/usr/sbin", with: "/sbin")) {
            throw .unsupportedTool("\(tool) is missing (apt-get install openssh-server iproute2 util-linux)")
        }
        let fm = FileManager.default
        if fm.fileExists(atPath: directory + "/" + stateFile) {
            throw .conflict("a test cluster is already up in \(directory) (`vfleet dev-cluster down --dir \(directory)` first)")
        }
        let dir = URL(fileURLWithPath: directory).standardizedFileURL.path
        try makeDirectory(dir + "/controller")
        let index = try withIndexLock { () throws(FleetError) -> Int in
            let k = try freeIndex()
            try SystemCommand.run(["ip", "link", "add", "vfbr\(k)", "type", "bridge"])
            return k
        }
        let bridge = "vfbr\(index)"
        let prefix = "10.231.\(index)"
        var state = DevClusterState(directory: dir, bridge: bridge, subnet: "\(prefix).0/24", bridgeAddress: "\(prefix).1",
                                    agentBinary: agentBinary, identityFile: dir + "/controller/id_ed25519",
                                    adminIdentityFile: dir + "/controller/admin_ed25519",
                                    knownHostsFile: dir + "/controller/known_hosts", hosts: [])
        do throws(FleetError) {
            if !fm.fileExists(atPath: state.identityFile) {
                do { try SSHKeys.generateEd25519(at: state.identityFile, comment: "vfleet-controller@dev-cluster") } catch {
                    throw FleetError.failed("cannot make the controller key: \(error.message)")
                }
            }
            if !fm.fileExists(atPath: state.adminIdentityFile) {
                do { try SSHKeys.generateEd25519(at: state.adminIdentityFile, comment: "vfleet-admin@dev-cluster") } catch {
                    throw FleetError.failed("cannot make the admin key: \(error.message)")
                }
            }
            if !fm.fileExists(atPath: state.knownHostsFile) {
                _ = fm.createFile(atPath: state.knownHostsFile, contents: Data(), attributes: [.posixPermissions: 0o600])
            }
            let pubkey: String
            let adminKey: String
            do {
                pubkey = try SSHKeys.publicKeyLine(privateKeyFile: state.identityFile, comment: "vfleet-controller")
                adminKey = try SSHKeys.publicKeyLine(privateKeyFile: state.adminIdentityFile, comment: "vfleet-admin")
            } catch {
                throw FleetError.failed("cannot read the cluster's keys: \(error.message)")
            }
            try SystemCommand.run(["ip", "addr", "add", "\(prefix).1/24", "dev", bridge])
            try SystemCommand.run(["ip", "link", "set", bridge, "up"])
            try save(state)
            for i in 1...count {
                let host = try startHost(i, index: index, prefix: prefix, state: state, pubkey: pubkey, adminKey: adminKey, smallDisk: smallDisks[i])
                state.hosts.append(host)
                try save(state)
            }
            for host in state.hosts { try waitForSSH(host) }
            if controllers > 0 {
                // Saved as soon as started: `down` after a failure finds them.
                state.etcd = []
                try save(state)
                state.etcd = try DevEtcd.start(index: index, prefix: prefix, state: state)
                try save(state)
                state.controllers = try DevControllers.make(count: controllers, index: index, prefix: prefix, state: state)
                try save(state)
            }
        } catch {
            try? down(directory: dir)
            throw error
        }
        return state
    }

    static func startHost(_ i: Int, index: Int, prefix: String, state: DevClusterState, pubkey: String, adminKey: String,
                          smallDisk: UInt64? = nil) throws(FleetError) -> DevClusterState.Host {
        let name = "host\(i)"
        let ns = "vf\(index)-\(name)"
        let hostDir = state.directory + "/hosts/" + name
        let stateDir = hostDir + "/state"
        let sshDir = hostDir + "/ssh"
        try makeDirectory(stateDir)
        try makeDirectory(sshDir)
        var loopImage: String?
        if let size = smallDisk {
            let image = hostDir + "/state.img"
            try SystemCommand.run(["truncate", "-s", String(size), image])
            try SystemCommand.run(["mkfs.ext4", "-q", "-F", "-m", "0", image])
            try SystemCommand.run(["mount", "-o", "loop", image, stateDir])
            loopImage = image
        }
        let cgroupParent = "vfc\(index)-\(name)"
        let firstContext = firstContextId(clusterIndex: index, host: i)
        try write("{\"cgroupParent\": \"\(cgroupParent)\", \"firstContextId\": \(firstContext)}\n", to: stateDir + "/agent.json")
        let address = "\(prefix).\(10 + i)"
        let veth = "vf\(index)h\(i)"
        try plugIn(namespace: ns, veth: veth, address: address, bridge: state.bridge)
        let hostKey = sshDir + "/ssh_host_ed25519_key"
        if !FileManager.default.fileExists(atPath: hostKey) {
            try SystemCommand.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "\(name)@vfleet-dev-cluster", "-f", hostKey])
        }
        // The controller's key can run the agent and nothing else.
        try write("command=\"\(state.agentBinary) rpc\",no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding,no-user-rc \(pubkey)\n\(adminKey)\n",
                  to: sshDir + "/authorized_keys")
        let pidFile = sshDir + "/sshd.pid"
        try write(sshdConfig(address: address, hostKey: hostKey, sshDir: sshDir, pidFile: pidFile), to: sshDir + "/sshd_config")
        try? FileManager.default.removeItem(atPath: pidFile)
        try makeDirectory("/run/sshd")
        try makeDirectory("/var/lib/vfleet")
        // Its own mount namespace: /var/lib/vfleet is this host's state
        // directory for sshd and everything it starts.
        // Root's ~/.bashrc runs for every command sshd starts; this machine's
        // starts pyenv (~350 ms of CPU per session), which a clean host does
        // not. Each test host sees an empty one, in its own mount namespace only.
        try write("# test host: intentionally empty\n", to: hostDir + "/bashrc")
        let hideBashrc = FileManager.default.fileExists(atPath: "/root/.bashrc") ? " && mount --bind '\(hostDir)/bashrc' /root/.bashrc" : ""
        let script = "mount --make-rprivate / && mount --bind '\(stateDir)' /var/lib/vfleet\(hideBashrc) && exec /usr/sbin/sshd -D -e -f '\(sshDir)/sshd_config' >>'\(hostDir)/sshd.log' 2>&1"
        // nsenter, not `ip netns exec`: the latter remounts /sys, which would
        // hide the cgroup hierarchies from the agent.
        try SystemCommand.run(["setsid", "-f", "nsenter", "--net=/run/netns/\(ns)", "unshare", "--mount", "sh", "-c", script])
        let deadline = Date().addingTimeInterval(10)
        var pid: Int32 = 0
        while Date() < deadline {
            if let text = try? String(contentsOfFile: pidFile, encoding: .utf8), let p = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                pid = p
                break
            }
            usleep(20_000)
        }
        guard pid > 0 else {
            let log = (try? String(contentsOfFile: hostDir + "/sshd.log", encoding: .utf8)) ?? ""
            throw .failed("sshd of test host \(name) did not start: \(log.suffix(500))")
        }
        return DevClusterState.Host(name: name, namespace: ns, address: address, port: 22, stateDirectory: stateDir,
                                    cgroupParent: cgroupParent, firstContextId: firstContext, sshdPid: pid, identityFile: state.identityFile,
                                    knownHostsFile: state.knownHostsFile, loopImage: loopImage)
    }

    /// A network namespace with a veth on the cluster's bridge at `address`.
    static func plugIn(namespace ns: String, veth: String, address: String, bridge: String) throws(FleetError) {
        try SystemCommand.run(["ip", "netns", "add", ns])
        try SystemCommand.run(["ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns])
        try SystemCommand.run(["ip", "link", "set", veth, "master", bridge, "up"])
        try SystemCommand.run(["ip", "-n", ns, "addr", "add", "\(address)/24", "dev", "eth0"])
        try SystemCommand.run(["ip", "-n", ns, "link", "set", "eth0", "up"])
        try SystemCommand.run(["ip", "-n", ns, "link", "set", "lo", "up"])
    }

    /// sshd for one test host: keys only, no forwarding, many sessions (the
    /// tests open one per parallel call).
    static func sshdConfig(address: String, hostKey: String, sshDir: String, pidFile: String) -> String {
        """
        ListenAddress \(address)
        Port 22
        HostKey \(hostKey)
        AuthorizedKeysFile \(sshDir)/authorized_keys
        PidFile \(pidFile)
        PermitRootLogin prohibit-password
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        UsePAM no
        StrictModes no
        PrintMotd no
        AllowTcpForwarding no
        X11Forwarding no
        MaxSessions 64
        MaxStartups 64
        Subsystem sftp internal-sftp

        """
    }

    static func waitForSSH(_ host: DevClusterState.Host) throws(FleetError) {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if tcpConnects(host.address, host.port) { return }
            usleep(20_000)
        }
        throw .failed("sshd of test host \(host.name) does not answer on \(host.address):\(host.port)")
    }

    static func tcpConnects(_ address: String, _ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, address, &sa.sin_addr)
        return withUnsafePointer(to: &sa) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// Tears down everything `up` made: the hosts' guests (by their cgroups),
    /// every process in each host's namespace, the namespaces, the bridge and
    /// the generated files. Safe to run twice.
    public static func down(directory: String) throws(FleetError) {
        let state = try load(directory: directory)
        for host in state.hosts { stopHost(host) }
        for controller in state.controllers ?? [] { DevControllers.stop(controller) }
        for member in state.etcd ?? [] { DevEtcd.stop(member) }
        // A start that failed halfway saved no member yet: its namespaces
        // are found by name.
        let index = state.bridge.dropFirst("vfbr".count)
        for ns in (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
        where ns.hasPrefix("vf\(index)-etcd") || ns.hasPrefix("vf\(index)-controller") {
            killNamespace(ns)
        }
        _ = try? SystemCommand.run(["ip", "link", "del", state.bridge], allowFailure: true)
        let fm = FileManager.default
        try? fm.removeItem(atPath: state.directory + "/etcd")
        try? fm.removeItem(atPath: state.directory + "/controllers")
        try? fm.removeItem(atPath: state.directory + "/hosts")
        try? fm.removeItem(atPath: state.directory + "/controller")
        try? fm.removeItem(atPath: state.directory + "/" + stateFile)
    }

    static func stopHost(_ host: DevClusterState.Host) {
        killGuests(cgroupParent: host.cgroupParent)
        // sshd first (no new sessions), then whatever still runs in the namespace.
        if host.sshdPid > 0 { kill(host.sshdPid, SIGTERM) }
        killNamespace(host.namespace, alsoKill: host.sshdPid)
        if host.loopImage != nil {
            _ = try? SystemCommand.run(["umount", "-l", host.stateDirectory], allowFailure: true)
        }
    }

    /// Kills every process in network namespace `ns` (and `alsoKill`, a pid
    /// that may have left it), then removes the namespace.
    static func killNamespace(_ ns: String, alsoKill pid: Int32 = 0) {
        let pids = (try? SystemCommand.run(["ip", "netns", "pids", ns], allowFailure: true)) ?? ""
        for line in pids.split(separator: "\n") {
            if let p = Int32(line.trimmingCharacters(in: .whitespaces)) { kill(p, SIGKILL) }
        }
        if pid > 0 { kill(pid, SIGKILL) }
        _ = try? SystemCommand.run(["ip", "netns", "del", ns], allowFailure: true)
    }

    /// Kills and removes every cgroup below PARENT in every hierarchy: the
    /// guests of one test host, whatever state its agent left them in.
    static func killGuests(cgroupParent: String) {
        let mountinfo = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        var roots: [String] = []
        for line in mountinfo.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard let dash = f.firstIndex(of: "-"), dash + 1 < f.count, f[dash + 1].hasPrefix("cgroup"), f.count > 4 else { continue }
            roots.append(String(f[4]))
        }
        for _ in 0..<50 {
            var left = 0
            for root in roots {
                for pid in procs(under: root + "/" + cgroupParent) {
                    kill(pid, SIGKILL)
                    left += 1
                }
            }
            if left == 0 { break }
            usleep(20_000)
        }
        for root in roots { removeTree(root + "/" + cgroupParent) }
    }

    static func procs(under dir: String) -> [Int32] {
        var out: [Int32] = []
        if let text = try? String(contentsOfFile: dir + "/cgroup.procs", encoding: .utf8) {
            out += text.split(separator: "\n").compactMap { Int32($0) }
        }
        for child in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir + "/" + child, isDirectory: &isDir), isDir.boolValue {
                out += procs(under: dir + "/" + child)
            }
        }
        return out
    }

    static func removeTree(_ dir: String) {
        for child in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir + "/" + child, isDirectory: &isDir), isDir.boolValue {
                removeTree(dir + "/" + child)
            }
        }
        for _ in 0..<100 {
            if rmdir(dir) == 0 || errno == ENOENT { return }
            usleep(10_000)
        }
    }

    public struct HostHealth: Codable, Sendable {
        public var name: String
        public var address: String
        public var port: Int
        public var namespace: String
        public var sshdRunning: Bool
        public var identityFile: String
        public var knownHostsFile: String
    }

    public struct EtcdHealth: Codable, Sendable {
        public var name: String
        public var endpoint: String
        public var namespace: String
        public var pid: Int32
        public var running: Bool
    }

    /// What `dev-cluster status` reports: the hosts, and with `--controllers`
    /// the etcd members and each controller's environment.
    public struct Status: Codable, Sendable {
        public var hosts: [HostHealth]
        public var etcd: [EtcdHealth]
        public var controllers: [DevClusterState.Controller]
    }

    public static func status(directory: String) throws(FleetError) -> Status {
        let state = try load(directory: directory)
        let hosts = state.hosts.map { h in
            HostHealth(name: h.name, address: h.address, port: h.port, namespace: h.namespace,
                       sshdRunning: h.sshdPid > 0 && kill(h.sshdPid, 0) == 0 && tcpConnects(h.address, h.port),
                       identityFile: h.identityFile, knownHostsFile: h.knownHostsFile)
        }
        let etcd = (state.etcd ?? []).map { m in
            EtcdHealth(name: m.name, endpoint: "\(m.address):\(m.clientPort)", namespace: m.namespace, pid: m.pid,
                       running: m.pid > 0 && kill(m.pid, 0) == 0 && tcpConnects(m.address, m.clientPort))
        }
        return Status(hosts: hosts, etcd: etcd, controllers: state.controllers ?? [])
    }

    /// The most hosts one test cluster has.
    public static let maximumHosts = 50

    /// The most controller machines one test cluster has.
    public static let maximumControllers = 9

    /// Context ids handed out per test host before its block runs into the next one's.
    public static let contextIdsPerHost = 64

    /// The agents of the test cluster share one kernel, and a user namespace
    /// guest's host ids are its context id times 65536: each host gets its
    /// own block of context ids, above the 100 of a lone agent (the
    /// integration tests) and apart from the blocks of the next 15
    /// clusters up at the same time.
    public static func firstContextId(clusterIndex: Int, host: Int) -> Int {
        1000 + (((clusterIndex - 1) % 16) * maximumHosts + (host - 1)) * contextIdsPerHost
    }

    /// The lowest K whose bridge vfbrK does not exist: clusters side by side
    /// (a test run and the demo) get distinct bridges and subnets.
    static func freeIndex() throws(FleetError) -> Int {
        let nets = Set((try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/net")) ?? [])
        let netns = (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
        for k in 1...250 {
            // Free only if nothing of an index-K cluster is left: bridge, veths, namespaces.
            if nets.contains("vfbr\(k)") || nets.contains(where: { $0.hasPrefix("vf\(k)h") }) || netns.contains(where: { $0.hasPrefix("vf\(k)-") }) {
                continue
            }
            return k
        }
        throw .failed("no free test cluster index (250 bridges vfbrN exist?)")
    }

    /// Serialises choosing an index and creating the bridge between
    /// clusters brought up at the same time (a test run and the demo).
    static func withIndexLock<R>(_ body: () throws(FleetError) -> R) throws(FleetError) -> R {
        let fd = open("/run/vfleet-dev-cluster.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return try body() }
        defer { close(fd) }
        flock(fd, LOCK_EX)
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    static func save(_ state: DevClusterState) throws(FleetError) {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? e.encode(state) else { throw .failed("cannot encode the cluster state") }
        try write(String(decoding: data, as: UTF8.self), to: state.directory + "/" + stateFile)
    }

    static func write(_ text: String, to path: String) throws(FleetError) {
        do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw .failed("cannot write \(path): \(error.localizedDescription)")
        }
    }

    static func makeDirectory(_ path: String) throws(FleetError) {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw .failed("cannot create \(path): \(error.localizedDescription)")
        }
    }
}

extension FleetError {
    static func unsupportedTool(_ message: String) -> FleetError { FleetError(.unsupported, message) }
}
