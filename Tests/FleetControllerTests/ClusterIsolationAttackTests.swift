import FleetController
import FleetProtocol
import FleetTestSupport
import Foundation
import Testing

extension ClusterTests {
    /// Attacks on isolated networking from inside a real isolated guest on
    /// test host1, against listeners the test owns on host1 and host2 (all
    /// addresses inside the cluster's own namespaces).
    @Suite struct IsolatedAttacks {
        @Test(arguments: [false, true]) func anIsolatedGuestReachesNothingOfTheHostsBeyondItsAddress(userns: Bool) throws {
            try withCluster(hosts: 2) { cluster in
                let (c, p) = try Networking.controllerWithLanPool(cluster)
                _ = try Networking.isolatedGuestOnHost1(c, "atk", userNamespace: userns)
                let guest = "\(p).129"
                let host1 = cluster.state.hosts[0].address
                let host2 = cluster.state.hosts[1].address
                let install = try c.execGuest("atk", argv: ["/bin/sh", "-c", GuestAttackProgram.installScript], stdin: try GuestAttackProgram.base64())
                #expect(install.exitCode == 0, "\(install.stderr)")

                // listen() without bind(): the kernel binds the wildcard. From
                // host2, the port answers on the guest's address only.
                let listening = try c.execGuest("atk", argv: ["/bin/sh", "-c", "vfattack listen > /tmp/listen 2>&1 < /dev/null & sleep 0.5; cat /tmp/listen"])
                let words = listening.stdout.split(whereSeparator: \.isWhitespace)
                try #require(words.count == 3 && words[0] == "listening", "\(listening.stdout) \(listening.stderr)")
                let port = String(words[2])
                let reach = try Networking.inHost(cluster, "host2", ["/usr/bin/python3", "-c", """
                    import socket, sys
                    for host in sys.argv[1:3]:
                        s = socket.socket(); s.settimeout(3)
                        try: s.connect((host, int(sys.argv[3]))); print(host, "ok")
                        except OSError as e: print(host, "fails")
                    """, host1, guest, port])
                #expect(reach.out == "\(host1) fails\n\(guest) ok\n", "\(reach.out)")

                // A UDP datagram sent without bind() or connect() carries the
                // guest's address; connect() after it is refused.
                let receiver = try HostProbe(cluster, "host2", """
                    import socket, sys
                    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], 0)); s.settimeout(10)
                    print(s.getsockname()[1], flush=True)
                    data, peer = s.recvfrom(100); print(peer[0], flush=True)
                    """, [host2])
                let udpPort = try receiver.line()
                let udp = try c.execGuest("atk", argv: ["vfattack", "udp", host2, udpPort])
                #expect(udp.stdout == "sent\nconnect err EPERM\n", "\(udp.stdout) \(udp.stderr)")
                #expect(try receiver.line() == guest)

                // An abstract unix socket of host1 (the guest shares host1's
                // network namespace, where abstract names live).
                let name = "vfleet-test-atk-\(getpid())"
                let unix = try HostProbe(cluster, "host1", """
                    import socket, sys
                    s = socket.socket(socket.AF_UNIX); s.bind("\\0" + sys.argv[1]); s.listen(1); s.settimeout(5)
                    print("ready", flush=True)
                    try: s.accept(); print("accepted", flush=True)
                    except socket.timeout: print("nobody", flush=True)
                    """, [name])
                #expect(try unix.line() == "ready")
                let abstract = try c.execGuest("atk", argv: ["vfattack", "unix", name])
                #expect(abstract.stdout == "err EPERM\n", "\(abstract.stdout) \(abstract.stderr)")
                #expect(try unix.line() == "nobody")

                // Its own address serves as before.
                try Networking.serveWeb(c, "atk", port: 8080, text: "still serving")
                let got = try Networking.fetch(cluster, from: "host2", "http://\(guest):8080/")
                #expect(got.status == 0 && got.out.contains("still serving"), "\(got.out)")
            }
        }
    }
}

/// A Python script run in a test host's network namespace, read a line at a
/// time. Scripts end by themselves (socket timeouts); the process is
/// waited for when the probe is released.
private final class HostProbe {
    private let process = Process()
    private let output: FileHandle
    private var buffer: [UInt8] = []

    init(_ cluster: TestCluster, _ host: String, _ script: String, _ args: [String]) throws {
        let ns = cluster.state.hosts.first { $0.name == host }!.namespace
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["-s", "KILL", "30", "nsenter", "--net=/run/netns/\(ns)", "--", "/usr/bin/python3", "-c", script] + args
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        output = pipe.fileHandleForReading
        try process.run()
    }

    func line() throws -> String {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            let chunk = output.availableData
            if chunk.isEmpty { throw GuestAttackProgram.Failure(description: "host probe ended without output") }
            buffer += chunk
        }
    }

    deinit { process.waitUntilExit() }
}
