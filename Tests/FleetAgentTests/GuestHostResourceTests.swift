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
