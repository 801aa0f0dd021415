import FleetAgent
import FleetKernel
import FleetProtocol
import FleetTestSupport
import Foundation
import Testing

extension AgentIntegration {
    /// Things of the host's that are not namespaced like files and
    /// processes are: abstract unix sockets (per network namespace) and
    /// per-user kernel tables (per user namespace and uid). Each test attacks
    /// from inside a real guest.
    @Suite struct HostResources {
        /// Installs the attack program (GuestAttackProgram) in a guest as /bin/vfattack.
        static func install(_ t: TestAgent, _ guest: String) throws {
            let r = try t.agent.execCaptured(GuestExecParams(name: guest, argv: ["/bin/sh", "-c", GuestAttackProgram.installScript],
                                                             stdin: try GuestAttackProgram.base64(), timeoutSeconds: 30))
            #expect(r.exitCode == 0, "install vfattack: \(r.stderr)")
        }

        /// A guest on the host's network shares its abstract unix sockets'
        /// namespace; Landlock's scope keeps the guest (its init's tree and
        /// what the agent enters into it) from connecting to the host's.
        @Test(arguments: [false, true]) func hostAbstractUnixSocketsAreOutOfReach(userns: Bool) throws {
            let name = "vfleet-test-abstract-\(getpid())-\(userns)"
            let listener = try AbstractListener(name: name)
            defer { listener.close() }
            try withTestAgent { t in
                // The guest's own init tries too, as soon as the program is there.
                let initScript = """
                    while [ ! -x /bin/vfattack ]; do sleep 0.1; done
                    /bin/vfattack unix \(name) > /tmp/from-init.new && mv /tmp/from-init.new /tmp/from-init
                    exec sleep 1000
                    """
                try t.makeGuest("abs1", network: .host, initCommand: ["/bin/sh", "-c", initScript], userns: userns)
                try Self.install(t, "abs1")
                // From a command entered into the guest.
                let entered = try t.run("abs1", "vfattack unix \(name)")
                #expect(entered.stdout == "err EPERM\n", "\(entered.stdout) \(entered.stderr)")
                // From the guest's own init.
                let fromInit = try t.run("abs1", "for i in $(seq 50); do [ -f /tmp/from-init ] && break; sleep 0.1; done; cat /tmp/from-init")
                #expect(fromInit.stdout == "err EPERM\n", "\(fromInit.stdout) \(fromInit.stderr)")
                // The host's own processes still reach the socket.
                #expect(try listener.connectFromHost())
            }
        }

        /// The scope is for guests on the host's network only. A Landlock
        /// domain also keeps its processes from ptrace and /proc/PID/environ,
        /// fd, … of processes in other domains, and init's tree and an
        /// entered command are in sibling domains; a guest with a network
        /// namespace of its own has abstract socket names of its own and
        /// keeps that introspection.
        @Test func onlyGuestsOnTheHostsNetworkAreScoped() throws {
            try withTestAgent { t in
                let probe = "cat /proc/1/environ > /dev/null 2>&1 && echo readable || echo denied"
                try t.makeGuest("own", network: .none)
                #expect(try t.run("own", probe).stdout == "readable\n")
                try t.makeGuest("shared", network: .host)
                #expect(try t.run("shared", probe).stdout == "denied\n")
            }
        }

        /// inotify instances are limited per user (fs.inotify.max_user_instances)
        /// and charged at the host's level to the owner of the guest's user
        /// namespace: the guest's own host uid, so a guest that takes all of
        /// its instances leaves host root's alone. (A guest without a user
        /// namespace would be host root to this limit: the next test.)
        @Test func aUserNamespaceGuestExhaustingInotifyLeavesHostRootItsOwn() throws {
            try withTestAgent { t in
                try t.makeGuest("ino1", userns: true)
                try Self.install(t, "ino1")
                // Held for 5 s: the host tries while they are.
                let r = try t.run("ino1", "vfattack inotify > /tmp/inotify 2>&1 < /dev/null & sleep 1; cat /tmp/inotify")
                let words = r.stdout.split(separator: " ")
                try #require(words.count == 5 && words[0] == "made", "\(r.stdout) \(r.stderr)")
                #expect(words[4] == "EMFILE\n")
                let fd = inotify_init1(Int32(IN_CLOEXEC))
                #expect(fd >= 0, "host root cannot create an inotify instance: errno \(errno)")
                if fd >= 0 { close(fd) }
            }
        }

        /// Without a user namespace nothing separates the guest's inotify
        /// count from host root's, so the filter refuses inotify_init and
        /// inotify_init1 (ENOSYS: programs poll instead); allowed back by
        /// name, the call works again (one instance only: the pool is root's).
        @Test func aGuestWithoutAUserNamespaceCannotDrawOnHostRootsInotify() throws {
            try withTestAgent { t in
                try t.makeProbedGuest("ino2", userns: false)
                let r = try t.run("ino2", "/probe inotify > /tmp/inotify 2>&1 < /dev/null & sleep 1; cat /tmp/inotify")
                #expect(r.stdout == "made 0 then err E\(ENOSYS)\n", "\(r.stdout) \(r.stderr)")
                let fd = inotify_init1(Int32(IN_CLOEXEC))
                #expect(fd >= 0, "host root cannot create an inotify instance: errno \(errno)")
                if fd >= 0 { close(fd) }

                let numbers = SyscallFilter.rules.filter(\.hostUsersOnly).compactMap(\.number)
                try #require(!numbers.isEmpty)
                try t.makeProbedGuest("ino3", userns: false, allowSyscalls: SyscallFilter.rules.filter(\.hostUsersOnly).map(\.name))
                let back = try t.run("ino3", "/probe syscalls " + numbers.map(String.init).joined(separator: " "))
                #expect(back.stdout == numbers.map { "\($0) 0\n" }.joined(), "\(back.stdout) \(back.stderr)")
            }
        }
    }
}

/// An abstract unix socket the test listens on in the host's network namespace.
private final class AbstractListener {
    let name: String
    private var fd: Int32

    init(name: String) throws {
        self.name = name
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw GuestAttackProgram.Failure(description: "socket(AF_UNIX): errno \(errno)") }
        let (address, length) = Self.address(name)
        var a = address
        let bound = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 8) == 0 else {
            let e = errno
            Glibc.close(fd)
            throw GuestAttackProgram.Failure(description: "bind/listen @\(name): errno \(e)")
        }
    }

    static func address(_ name: String) -> (sockaddr_un, socklen_t) {
        var a = sockaddr_un()
        a.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(name.utf8)
        withUnsafeMutableBytes(of: &a.sun_path) { raw in
            raw[0] = 0
            for (i, b) in bytes.enumerated() where i + 1 < raw.count { raw[i + 1] = b }
        }
        return (a, socklen_t(MemoryLayout<sa_family_t>.size + 1 + bytes.count))
    }

    func connectFromHost() throws -> Bool {
        let c = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { Glibc.close(c) }
        var (a, length) = Self.address(name)
        return withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(c, $0, length) } } == 0
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
}
