import FleetKernel
import FleetTestSupport
import Foundation
import Testing

/// The socket address filter against the real kernel: each test makes a
/// network namespace of its own (a veth pair with 10.77.0.1-3 and fd00::1,
/// so no traffic leaves it) and a cgroup v2 directory of its own, and runs
/// Python probes in both. Every probe runs once without the filter, to show
/// the environment behaves normally, and once with it, to show the filter
/// is what changes the outcome.
@Suite(.serialized, .tags(.root)) struct SocketAddressFilterTests {
    static let isRoot = geteuid() == 0
    static let guest = ["10.77.0.2", "10.77.0.3"]

    // MARK: - Probes

    @Test(.enabled(if: isRoot)) func bindIsLimitedToTheGuestsAddresses() throws {
        try Sandbox.with { box in
            let script = """
            print(bind(AF_INET, "10.77.0.1"))
            print(bind(AF_INET, "10.77.0.3"))
            print(bind(AF_INET, "0.0.0.0"))
            print(bind(AF_INET, "127.0.0.1"))
            s = socket.socket(AF_INET, socket.SOCK_DGRAM); s.bind(("10.77.0.3", 0)); s.connect(("10.77.0.1", 9))
            print("ok " + s.getsockname()[0])
            """
            let before = try box.probeInCgroup(script)
            #expect(before == ["ok 10.77.0.1", "ok 10.77.0.3", "ok 0.0.0.0", "ok 127.0.0.1", "ok 10.77.0.3"])

            try SocketAddressFilter(addresses: Self.guest).attach(toCgroup: box.cgroup)
            let after = try box.probeInCgroup(script)
            // The last: a socket bound to another of the guest's addresses keeps it on connect.
            #expect(after == ["err EPERM", "ok 10.77.0.3", "ok 10.77.0.2", "ok 10.77.0.2", "ok 10.77.0.3"])

            // A process outside the cgroup, in the same namespace, is not confined.
            #expect(try box.probeOutside(script) == before)
        }
    }

    /// A --userns guest holds NET_BIND_SERVICE in its own user namespace;
    /// the host's network checks the host's. The bind hook vouches for it:
    /// the filter when the guest is isolated, a bind-only program otherwise.
    @Test(.enabled(if: isRoot)) func userNamespaceGuestsMayBindLowPortsOnlyWhenVouchedFor() throws {
        let script = """
        print(bind(AF_INET, "10.77.0.2", 80))
        print(bind(AF_INET, "10.77.0.1", 81))
        print(bind(AF_INET, "10.77.0.2", 8080))
        """
        try Sandbox.with { box in
            #expect(try box.probeInCgroupAsUserNamespaceRoot(script) == ["err EACCES", "err EACCES", "ok 10.77.0.2"])
            var filter = try SocketAddressFilter(addresses: Self.guest)
            filter.waivesBindServiceCheck = true
            try filter.attach(toCgroup: box.cgroup)
            // Confined as ever (10.77.0.1 is not the guest's), low ports allowed.
            #expect(try box.probeInCgroupAsUserNamespaceRoot(script) == ["ok 10.77.0.2", "err EPERM", "ok 10.77.0.2"])
        }
        try Sandbox.with { box in
            try SocketAddressFilter(addresses: Self.guest).attach(toCgroup: box.cgroup)
            // Without the waiver the filter leaves the capability check alone.
            #expect(try box.probeInCgroupAsUserNamespaceRoot(script) == ["err EACCES", "err EPERM", "ok 10.77.0.2"])
        }
        try Sandbox.with { box in
            try SocketAddressFilter.attachBindService(toCgroup: box.cgroup)
            #expect(try box.probeInCgroupAsUserNamespaceRoot(script) == ["ok 10.77.0.2", "ok 10.77.0.1", "ok 10.77.0.2"])
            // Two programs: bind4 and bind6.
            #expect(SocketAddressFilter.attached(toCgroup: box.cgroup) == 2)
        }
    }

    @Test(.enabled(if: isRoot)) func tcpConnectionsLeaveFromThePrimaryAddress() throws {
        try Sandbox.with { box in
            let before = try box.tcpConnection()
            #expect(before.client == "10.77.0.1")
            #expect(before.server == "10.77.0.1")

            try SocketAddressFilter(addresses: Self.guest).attach(toCgroup: box.cgroup)
            let after = try box.tcpConnection()
            #expect(after.client == "10.77.0.2")
            #expect(after.server == "10.77.0.2")
        }
    }

    @Test(.enabled(if: isRoot)) func udpDatagramsCarryThePrimarySource() throws {
        try Sandbox.with { box in
            #expect(try box.udpSource() == "10.77.0.1")
            // A connected UDP socket to loopback: no traffic, only addresses.
            let loopback = #"print(udp_connect(AF_INET, "127.0.0.1"))"#
            #expect(try box.probeInCgroup(loopback) == ["ok 127.0.0.1 -> 127.0.0.1"])

            try SocketAddressFilter(addresses: Self.guest).attach(toCgroup: box.cgroup)
            #expect(try box.udpSource() == "10.77.0.2")
            // The guest's loopback is its own primary address, as in VServer.
            #expect(try box.probeInCgroup(loopback) == ["ok 10.77.0.2 -> 10.77.0.2"])
        }
    }

    @Test(.enabled(if: isRoot)) func ipv6IsConfinedToMappedIPv4() throws {
        try Sandbox.with { box in
            let script = """
            print(bind(AF_INET6, "::"))
            print(bind(AF_INET6, "::1"))
            print(bind(AF_INET6, "::ffff:10.77.0.1"))
            print(bind(AF_INET6, "fd00::1"))
            print(tcp_connect(AF_INET6, "fd00::1", 9))
            print(udp_connect(AF_INET6, "::ffff:10.77.0.1"))
            print(udp_send(AF_INET6, "fd00::1"))
            """
            let before = try box.probeInCgroup(script)
            #expect(before == [
                "ok ::", "ok ::1", "ok ::ffff:10.77.0.1", "ok fd00::1",
                "err ECONNREFUSED", "ok ::ffff:10.77.0.1 -> ::ffff:10.77.0.1", "ok",
            ])

            try SocketAddressFilter(addresses: Self.guest).attach(toCgroup: box.cgroup)
            let after = try box.probeInCgroup(script)
            #expect(after == [
                "ok ::ffff:10.77.0.2",          // dual-stack wildcard: the primary, v4-mapped
                "ok ::ffff:10.77.0.2",          // ::1 is the guest's loopback: rewritten
                "err EPERM",                    // not the guest's address
                "err EPERM",                    // the guest has no IPv6 address
                "err EPERM",                    // no connections to IPv6 destinations
                "ok ::ffff:10.77.0.2 -> ::ffff:10.77.0.1",
                "err EPERM",                    // nor datagrams
            ])
        }
    }

    /// listen() on an unbound socket: the kernel binds it to the wildcard at
    /// listen(), behind the bind hooks' back. With the filter it may listen,
    /// but only connections to the guest's addresses reach it.
    @Test(.enabled(if: isRoot)) func aListenerNeverBoundIsReachableOnlyOnTheGuestsAddresses() throws {
        func reach(_ port: String) -> String {
            """
            for host in ("10.77.0.1", "10.77.0.2"):
                print(host, tcp_connect(AF_INET, host, \(port)))
            """
        }
        try Sandbox.with { box in
            let before = try box.unboundListenerInCgroup()
            #expect(before.address == "0.0.0.0")
            #expect(try box.probeOutside(reach(before.port)) == [
                "10.77.0.1 ok 10.77.0.1", "10.77.0.2 ok 10.77.0.1",
            ])
        }
        try Sandbox.with { box in
            try SocketAddressFilter(addresses: Self.guest).attach(toCgroup: box.cgroup)
            let after = try box.unboundListenerInCgroup()
            #expect(after.address == "0.0.0.0")
            // The host's address: the SYN is dropped, the client times out.
            #expect(try box.probeOutside(reach(after.port)) == [
                "10.77.0.1 err timeout", "10.77.0.2 ok 10.77.0.1",
            ])
        }
    }

    /// A UDP socket that sent unconnected was autobound to the wildcard; a
    /// connect() afterwards would take the route's source, the host's
    /// address. The filter refuses that connect; a fresh socket connects.
    @Test(.enabled(if: isRoot)) func aUDPSocketAutoboundBySendingMayNotConnect() throws {
        let script = """
        s = socket.socket(AF_INET, socket.SOCK_DGRAM); s.sendto(b"x", ("10.77.0.1", 9))
        print("sent from " + s.getsockname()[0])
        try:
            s.connect(("10.77.0.1", 9)); print("ok " + s.getsockname()[0])
        except OSError as e: print(err(e))
        print(udp_connect(AF_INET, "10.77.0.1"))
        """
        try Sandbox.with { box in
            #expect(try box.probeInCgroup(script) == ["sent from 0.0.0.0", "ok 10.77.0.1", "ok 10.77.0.1 -> 10.77.0.1"])
            try SocketAddressFilter(addresses: Self.guest).attach(toCgroup: box.cgroup)
            #expect(try box.probeInCgroup(script) == ["sent from 0.0.0.0", "err EPERM", "ok 10.77.0.2 -> 10.77.0.1"])
        }
    }

    /// The same autobound UDP socket receives only datagrams addressed to the guest.
    @Test(.enabled(if: isRoot)) func anAutoboundUDPSocketReceivesOnlyDatagramsForTheGuest() throws {
        let receive = """
        s = socket.socket(AF_INET, socket.SOCK_DGRAM); s.sendto(b"x", ("10.77.0.1", 9)); s.settimeout(1)
        port = s.getsockname()[1]
        for host in ("10.77.0.1", "10.77.0.2"):
            socket.socket(AF_INET, socket.SOCK_DGRAM).sendto(host.encode(), (host, port))
        got = []
        try:
            while True: got.append(s.recv(100).decode())
        except socket.timeout: pass
        print(" ".join(sorted(got)))
        """
        try Sandbox.with { box in
            // The senders are in the cgroup too: they leave from 10.77.0.2,
            // which does not matter, only the destination does.
            #expect(try box.probeInCgroup(receive) == ["10.77.0.1 10.77.0.2"])
            try SocketAddressFilter(addresses: Self.guest).attach(toCgroup: box.cgroup)
            #expect(try box.probeInCgroup(receive) == ["10.77.0.2"])
        }
    }

    /// ICMP datagram ("ping") sockets: neither their bind() nor their
    /// unconnected sends run a cgroup sock_addr hook, so the filter refuses
    /// to create them. The sandbox's namespace allows them to root's group,
    /// as systemd's net.ipv4.ping_group_range does for every group.
    @Test(.enabled(if: isRoot)) func pingSocketsAreRefused() throws {
        let script = """
        try:
            s = socket.socket(AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP); s.bind(("10.77.0.1", 0)); print("ok " + s.getsockname()[0])
        except OSError as e: print(err(e))
        """
        try Sandbox.with { box in
            #expect(try box.probeInCgroup(script) == ["ok 10.77.0.1"])
            try SocketAddressFilter(addresses: Self.guest).attach(toCgroup: box.cgroup)
            #expect(try box.probeInCgroup(script) == ["err EPERM"])
        }
    }

    // MARK: - Attaching and detaching

    @Test(.enabled(if: isRoot)) func attachedCountsAndDetachRestores() throws {
        try Sandbox.with { box in
            #expect(SocketAddressFilter.attached(toCgroup: box.cgroup) == 0)
            let filter = try SocketAddressFilter(addresses: Self.guest)
            try filter.attach(toCgroup: box.cgroup)
            #expect(SocketAddressFilter.attached(toCgroup: box.cgroup) == 8)

            // Attaching again (new addresses) replaces the programs.
            try SocketAddressFilter(addresses: ["10.77.0.3"]).attach(toCgroup: box.cgroup)
            #expect(SocketAddressFilter.attached(toCgroup: box.cgroup) == 8)
            #expect(try box.probeInCgroup(#"print(bind(AF_INET, "0.0.0.0"))"#) == ["ok 10.77.0.3"])

            // A cgroup below cannot replace them: they are attached without override.
            let child = box.cgroup + "/inner"
            #expect(mkdir(child, 0o755) == 0)
            defer { rmdir(child) }
            do throws(KernelError) {
                try SocketAddressFilter(addresses: ["10.77.0.1"]).attach(toCgroup: child)
                Issue.record("attached a filter below a sealed one")
            } catch {
                #expect(error.errno == EPERM)
                #expect(error.description.contains("attach cgroup/bind4 to \(child)"))
            }
            #expect(SocketAddressFilter.attached(toCgroup: child) == 0)

            try SocketAddressFilter.detach(fromCgroup: box.cgroup)
            #expect(SocketAddressFilter.attached(toCgroup: box.cgroup) == 0)
            try SocketAddressFilter.detach(fromCgroup: box.cgroup)   // nothing left: fine
            #expect(try box.probeInCgroup(#"print(bind(AF_INET, "10.77.0.1"))"#) == ["ok 10.77.0.1"])
        }
    }

    @Test(.enabled(if: isRoot)) func attachingOutsideCgroupV2Explains() throws {
        let filter = try SocketAddressFilter(addresses: Self.guest)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vfbpf-plain-\(getpid())").path
        #expect(mkdir(directory, 0o755) == 0)
        defer { rmdir(directory) }
        do throws(KernelError) {
            try filter.attach(toCgroup: directory)
            Issue.record("attached to a plain directory")
        } catch {
            #expect(error.errno == EBADF)
            #expect(error.description.contains("attach cgroup/bind4 to \(directory)"))
            #expect(error.hint?.contains("cgroup v2 (unified) hierarchy") == true)
        }
        do throws(KernelError) {
            try filter.attach(toCgroup: directory + "/missing")
            Issue.record("attached to a missing directory")
        } catch {
            #expect(error.errno == ENOENT)
        }
    }

    @Test func invalidAddressListsAreRefused() {
        let cases: [([String], String)] = [
            ([], "at least one"),
            (["10.77.0"], "not a dotted IPv4 address"),
            (["10.77.0.2", "fd00::2"], "\"fd00::2\""),
            ([" 10.77.0.2"], "not a dotted IPv4 address"),
            (["0.0.0.0"], "wildcard"),
            (["127.0.0.1"], "loopback"),
            (["224.0.0.1"], "multicast"),
            (["255.255.255.255"], "broadcast"),
            (["10.77.0.2", "10.77.0.2"], "listed twice"),
            ((1...17).map { "10.0.0.\($0)" }, "at most 16"),
        ]
        for (addresses, expected) in cases {
            do throws(KernelError) {
                _ = try SocketAddressFilter(addresses: addresses)
                Issue.record("accepted \(addresses)")
            } catch {
                #expect(error.errno == EINVAL)
                #expect(error.description.contains(expected), "\(addresses): \(error.description)")
            }
        }
        #expect(throws: Never.self) { _ = try SocketAddressFilter(addresses: (1...16).map { "10.0.0.\($0)" }) }
    }
}

// MARK: - Sandbox

/// A network namespace and a cgroup v2 directory for one test, removed
/// afterwards whatever happened.
private struct Sandbox {
    let namespace: String
    let cgroup: String
    /// Servers started outside the cgroup; killed by pid in cleanup.
    private let started = StartedProcesses()

    var netnsPath: String { "/run/netns/" + namespace }

    /// Sets up, runs `body`, and always cleans up.
    static func with(_ body: (Sandbox) throws -> Void) throws {
        let pid = getpid()
        let box = Sandbox(namespace: "vfbpf-\(pid)", cgroup: try unifiedMount() + "/vfbpf-test-\(pid)")
        defer { box.cleanUp() }
        try box.setUp()
        try body(box)
    }

    /// The cgroup2 mount from /proc/self/mountinfo: /sys/fs/cgroup/unified on
    /// hybrid hosts, /sys/fs/cgroup on pure v2 ones.
    static func unifiedMount() throws -> String {
        let info = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        for line in info.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count, fields.count > 4 else { continue }
            if fields[dash + 1] == "cgroup2" { return String(fields[4]) }
        }
        throw ProbeFailure("no cgroup2 mount in /proc/self/mountinfo")
    }

    private func setUp() throws {
        cleanUp()   // a namespace or cgroup left by a crashed run of this pid
        try run(["ip", "netns", "add", namespace])
        let ns = ["ip", "-n", namespace]
        try run(ns + ["link", "add", "a0", "type", "veth", "peer", "name", "a1"])
        for address in ["10.77.0.1/24", "10.77.0.2/24", "10.77.0.3/24"] {
            try run(ns + ["addr", "add", address, "dev", "a0"])
        }
        // nodad: usable at once instead of "tentative" for a second or two.
        try run(ns + ["addr", "add", "fd00::1/64", "dev", "a0", "nodad"])
        for link in ["lo", "a0", "a1"] { try run(ns + ["link", "set", link, "up"]) }
        try run(["ip", "netns", "exec", namespace, "sysctl", "-q", "-w", "net.ipv4.ping_group_range=0 0"])
        guard mkdir(cgroup, 0o755) == 0 else { throw ProbeFailure("mkdir \(cgroup): errno \(errno)") }
    }

    private func cleanUp() {
        started.killAll()
        // Only this test's probes can be in its own cgroup.
        if let procs = try? String(contentsOfFile: cgroup + "/cgroup.procs", encoding: .utf8) {
            for pid in procs.split(separator: "\n").compactMap({ pid_t($0) }) { kill(pid, SIGKILL) }
        }
        for child in (try? FileManager.default.contentsOfDirectory(atPath: cgroup)) ?? [] {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: cgroup + "/" + child, isDirectory: &isDirectory), isDirectory.boolValue {
                rmdir(cgroup + "/" + child)
            }
        }
        // Killed processes leave the cgroup when reaped; give them a moment.
        var attempts = 0
        while rmdir(cgroup) != 0 && errno == EBUSY && attempts < 50 {
            usleep(20_000)
            attempts += 1
        }
        if FileManager.default.fileExists(atPath: netnsPath) {
            _ = try? run(["ip", "netns", "del", namespace])
        }
    }

    // MARK: Probes

    /// Runs a probe script in the namespace, as a process placed in the cgroup
    /// before it execs Python. Returns its output lines.
    func probeInCgroup(_ script: String) throws -> [String] {
        try lines(run(["/bin/sh", "-c", #"echo $$ > "$1" && exec timeout 20 nsenter --net="$2" "$3" -c "$4""#,
                       "sh", cgroup + "/cgroup.procs", netnsPath, Python.path, Python.prelude + script]))
    }

    /// In the cgroup, as root of a user namespace of its own (which owns
    /// nothing of the network namespace), like a --userns guest.
    func probeInCgroupAsUserNamespaceRoot(_ script: String) throws -> [String] {
        try lines(run(["/bin/sh", "-c", #"echo $$ > "$1" && exec timeout 20 nsenter --net="$2" unshare --user --map-root-user "$3" -c "$4""#,
                       "sh", cgroup + "/cgroup.procs", netnsPath, Python.path, Python.prelude + script]))
    }

    /// The same in the namespace but outside the cgroup.
    func probeOutside(_ script: String) throws -> [String] {
        try lines(run(["timeout", "20", "nsenter", "--net=" + netnsPath, Python.path, "-c", Python.prelude + script]))
    }

    /// A TCP socket in the cgroup that listen()s without bind(); its address
    /// and port. It accepts connections until none came for 6 s, then ends
    /// by itself: the test runner's signal mask, which children inherit,
    /// blocks the SIGTERM that would end it otherwise.
    func unboundListenerInCgroup() throws -> (address: String, port: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", #"echo $$ > "$1" && exec timeout 20 nsenter --net="$2" "$3" -c "$4""#,
                             "sh", cgroup + "/cgroup.procs", netnsPath, Python.path, Python.prelude + """
        s = socket.socket(AF_INET, socket.SOCK_STREAM); s.listen(8); s.settimeout(6)
        print(s.getsockname()[0], s.getsockname()[1], flush=True)
        try:
            while True: s.accept()
        except socket.timeout: pass
        """]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        started.add(process)
        let line = try RunningProbe(output: output.fileHandleForReading).line().split(separator: " ")
        guard line.count == 2 else { throw ProbeFailure("listener printed \(line)") }
        return (String(line[0]), String(line[1]))
    }

    /// A TCP connection from the cgroup to a server on 10.77.0.1 outside it:
    /// the source address the client sees and the peer the server sees.
    func tcpConnection() throws -> (client: String, server: String) {
        let server = try start("""
        s = socket.socket(AF_INET, socket.SOCK_STREAM)
        s.bind(("10.77.0.1", 0)); s.listen(1); s.settimeout(10)
        print(s.getsockname()[1], flush=True)
        c, peer = s.accept()
        print(peer[0], flush=True)
        """)
        let port = try server.line()
        let client = try probeInCgroup("""
        s = socket.socket(AF_INET, socket.SOCK_STREAM); s.settimeout(10)
        s.connect(("10.77.0.1", \(port)))
        print(s.getsockname()[0])
        """)
        return (client.first ?? "<none>", try server.line())
    }

    /// A datagram from an unbound UDP socket in the cgroup to a receiver on
    /// 10.77.0.1 outside it: the source address the receiver sees.
    func udpSource() throws -> String {
        let receiver = try start("""
        s = socket.socket(AF_INET, socket.SOCK_DGRAM)
        s.bind(("10.77.0.1", 0)); s.settimeout(10)
        print(s.getsockname()[1], flush=True)
        data, peer = s.recvfrom(100)
        print(peer[0], flush=True)
        """)
        let port = try receiver.line()
        _ = try probeInCgroup(#"socket.socket(AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("10.77.0.1", \#(port)))"#)
        return try receiver.line()
    }

    /// Starts a Python server in the namespace, outside the cgroup.
    private func start(_ script: String) throws -> RunningProbe {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["20", "nsenter", "--net=" + netnsPath, Python.path, "-c", Python.prelude + script]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        started.add(process)
        return RunningProbe(output: output.fileHandleForReading)
    }

    private func lines(_ text: String) -> [String] {
        text.split(separator: "\n").map(String.init)
    }

    /// Runs a command to its end; its stdout, or a failure naming it.
    @discardableResult
    private func run(_ argv: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Probes print a few lines: reading to EOF before waiting cannot block on a full pipe.
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ProbeFailure("\(argv.prefix(4).joined(separator: " ")) … exited \(process.terminationStatus): \(String(decoding: err, as: UTF8.self))")
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// A server's stdout, read a line at a time.
private final class RunningProbe {
    private let output: FileHandle
    private var buffer: [UInt8] = []

    init(output: FileHandle) { self.output = output }

    func line() throws -> String {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            // Blocks until the server prints; it gives up after 10 s (and
            // `timeout` kills it after 20), which ends this read with EOF.
            let chunk = output.availableData
            if chunk.isEmpty { throw ProbeFailure("server ended without output") }
            buffer += chunk
        }
    }
}

/// The servers a test started, for cleanup. A class so that the Sandbox
/// value can record into it; used from the test's own thread only.
private final class StartedProcesses {
    private var processes: [Process] = []

    func add(_ process: Process) { processes.append(process) }

    /// SIGTERM to each server still running: `timeout` passes it on to the
    /// Python child and exits. Foundation reaps them.
    func killAll() {
        for process in processes {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
        processes.removeAll()
    }
}

private enum Python {
    /// Debian's own interpreter starts fastest (a pyenv shim adds a shell).
    static let path = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"

    /// Helpers each probe prints the result of: "ok <address>" or "err <ERRNO>".
    static let prelude = """
    import socket, errno
    from socket import AF_INET, AF_INET6
    def err(e): return "err " + errno.errorcode.get(e.errno, str(e.errno))
    def bind(family, host, port=0):
        s = socket.socket(family, socket.SOCK_STREAM)
        try:
            s.bind((host, port)); return "ok " + s.getsockname()[0]
        except OSError as e: return err(e)
    def tcp_connect(family, host, port):
        s = socket.socket(family, socket.SOCK_STREAM); s.settimeout(2)
        try:
            s.connect((host, port)); return "ok " + s.getsockname()[0]
        except socket.timeout: return "err timeout"
        except OSError as e: return err(e)
    def udp_connect(family, host):
        s = socket.socket(family, socket.SOCK_DGRAM)
        try:
            s.connect((host, 9)); return "ok " + s.getsockname()[0] + " -> " + s.getpeername()[0]
        except OSError as e: return err(e)
    def udp_send(family, host):
        s = socket.socket(family, socket.SOCK_DGRAM)
        try:
            s.sendto(b"x", (host, 9)); return "ok"
        except OSError as e: return err(e)

    """
}

private struct ProbeFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
