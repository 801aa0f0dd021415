@testable import FleetController
import FleetProtocol
import Foundation
import Testing

extension ClusterTests {
    /// Guest networks on real test hosts: every address used here lives only
    /// inside the cluster's own namespaces (10.231.K.0/24, 10.233.K.0/24).
    @Suite struct Networking {
        /// Runs a command in a test host's network namespace.
        static func inHost(_ cluster: TestCluster, _ host: String, _ argv: [String]) throws -> (status: Int32, out: String) {
            let ns = cluster.state.hosts.first { $0.name == host }!.namespace
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/nsenter")
            p.arguments = ["--net=/run/netns/\(ns)", "--"] + argv
            let out = Pipe()
            p.standardOutput = out
            p.standardError = out
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return (p.terminationStatus, String(decoding: data, as: UTF8.self))
        }

        static func fetch(_ cluster: TestCluster, from host: String, _ url: String) throws -> (status: Int32, out: String) {
            try inHost(cluster, host, ["/usr/bin/python3", "-c", "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())", url])
        }

        static func holds(_ cluster: TestCluster, _ host: String, _ address: String) throws -> Bool {
            try inHost(cluster, host, ["ip", "-o", "-4", "addr", "show"]).out.contains(" \(address)/")
        }

        /// The first three octets of the cluster's subnet, "10.231.K".
        static func prefix(_ cluster: TestCluster) -> String {
            cluster.state.subnet.split(separator: ".").prefix(3).joined(separator: ".")
        }

        /// A web server the guest's own init starts (so it comes back after a move).
        static func serveWeb(_ c: Controller, _ guest: String, port: Int, text: String) throws {
            let r = try c.execGuest(guest, argv: ["/bin/sh", "-c", """
                mkdir -p /www && echo '\(text)' > /www/index.html
                printf '#!/bin/sh\\nhttpd -p \(port) -h /www\\n' > /etc/rc.local && chmod 755 /etc/rc.local
                httpd -p \(port) -h /www
                """])
            #expect(r.exitCode == 0, "\(r.stderr)")
        }

        /// A controller with the cluster's hosts, the busybox template and a
        /// pool "lan" of K.128/25 for every host; returns it and "10.231.K".
        static func controllerWithLanPool(_ cluster: TestCluster) throws -> (Controller, String) {
            let c = try cluster.busyboxController()
            let p = prefix(cluster)
            _ = try c.addPool("lan", cidr: "\(p).128/25", hosts: [], gateway: nil)
            return (c, p)
        }

        /// A running busybox guest on host1, isolated on the pool's next address.
        static func isolatedGuestOnHost1(_ c: Controller, _ name: String, userNamespace: Bool? = nil) throws -> StoredGuest {
            var r = Controller.GuestRequest(spec: GuestSpec(name: name, template: "busybox", userNamespace: userNamespace))
            r.host = "host1"
            r.automaticNetwork = true
            return try c.createGuest(r).0
        }

        /// A user namespace guest holds NET_BIND_SERVICE in its own namespace
        /// only; its filter vouches for it on the host's stack, within its addresses.
        @Test func userNamespaceGuestServesPort80OnItsIsolatedAddressOnly() throws {
            try withCluster(hosts: 2) { cluster in
                let (c, p) = try Self.controllerWithLanPool(cluster)
                let web = try Self.isolatedGuestOnHost1(c, "uweb", userNamespace: true)
                let a = try #require(web.spec.addresses?.first)
                #expect(a == "\(p).129")
                let status = try #require(try cluster.agentGuests(c, "host1").first { $0.name == "uweb" })
                #expect(status.hostIDs != nil)
                try Self.serveWeb(c, "uweb", port: 80, text: "hello from a user namespace")
                let got = try Self.fetch(cluster, from: "host2", "http://\(a)/")
                #expect(got.status == 0 && got.out.contains("hello from a user namespace"), "\(got.out)")
                // Port 80 of the host's own address stays out of reach.
                let host1 = cluster.state.hosts[0].address
                let bind = try c.execGuest("uweb", argv: ["/bin/sh", "-c", "httpd -f -p \(host1):80 -h /www & sleep 1; kill $! 2>/dev/null; wait $!"])
                #expect((bind.stderr + bind.stdout).contains("Operation not permitted"), "\(bind.stdout) \(bind.stderr)")
            }
        }

        @Test func isolatedGuestServesOnItsAddressOnlyIsConfinedAndTakesItsAddressAlongWhenMoved() throws {
            try withCluster(hosts: 2) { cluster in
                let (c, p) = try Self.controllerWithLanPool(cluster)
                let web = try Self.isolatedGuestOnHost1(c, "web")
                #expect(web.spec.network == .isolated)
                #expect(web.spec.addresses == ["\(p).129"])
                let other = try Self.isolatedGuestOnHost1(c, "other")
                #expect(other.spec.addresses == ["\(p).130"])
                let a = "\(p).129"
                let host1 = cluster.state.hosts[0].address
                #expect(try Self.holds(cluster, "host1", a))

                // A wildcard listener, bound by the filter to the guest's address.
                try Self.serveWeb(c, "web", port: 8080, text: "hello from web")
                let got = try Self.fetch(cluster, from: "host2", "http://\(a):8080/")
                #expect(got.status == 0 && got.out.contains("hello from web"), "\(got.out)")
                // Not on the host's own address, although it bound 0.0.0.0.
                #expect(try Self.fetch(cluster, from: "host2", "http://\(host1):8080/").status != 0)

                // The host's and the other guest's addresses are not the guest's to take.
                for foreign in [host1, "\(p).130"] {
                    let bind = try c.execGuest("web", argv: ["/bin/sh", "-c", "httpd -f -p \(foreign):9000 -h /www & sleep 1; kill $! 2>/dev/null; wait $!"])
                    #expect(bind.stderr.contains("Operation not permitted") || bind.stdout.contains("Operation not permitted"),
                            "bind to \(foreign): \(bind.stdout) \(bind.stderr)")
                }
                // Its own address is.
                let own = try c.execGuest("web", argv: ["/bin/sh", "-c", "httpd -p \(a):9001 -h /www && echo bound"])
                #expect(own.stdout.contains("bound"), "\(own.stderr)")

                // Moved: the destination answers for the address, the source stops.
                _ = try c.moveGuest("web", to: "host2")
                #expect(try Self.holds(cluster, "host2", a))
                #expect(try !Self.holds(cluster, "host1", a))
                var moved = (status: Int32(-1), out: "")
                for _ in 0..<20 {
                    moved = try Self.fetch(cluster, from: "host1", "http://\(a):8080/")
                    if moved.status == 0 { break }
                    usleep(250_000)
                }
                #expect(moved.status == 0 && moved.out.contains("hello from web"), "after the move: \(moved.out)")
                #expect(try c.addressViews().first { $0.address == a }?.host == "host2")

                // Destroyed: the address is free again, in the store and on the host.
                try c.destroyGuest("web", force: true)
                #expect(try !Self.holds(cluster, "host2", a))
                #expect(try c.store.addresses().map(\.address) == ["\(p).130"])
            }
        }

        @Test func guestsStayOnTheHostsTheirAddressPoolServesInEveryPlan() throws {
            try withCluster(hosts: 3) { cluster in
                let c = try cluster.busyboxController()
                let p = Self.prefix(cluster)
                _ = try c.addPool("rack", cidr: "\(p).160/28", hosts: ["host1", "host2"], gateway: nil)
                _ = try c.addPool("solo", cidr: "\(p).176/28", hosts: ["host1"], gateway: nil)
                for (name, pool) in [("r1", "rack"), ("s1", "solo")] {
                    var r = Controller.GuestRequest(spec: GuestSpec(name: name, template: "busybox"))
                    r.host = "host1"
                    r.pool = pool
                    r.automaticNetwork = true
                    r.desiredState = .stopped
                    _ = try c.createGuest(r)
                }
                // Busy host2: spread alone would send r1 to host3.
                var filler = Controller.GuestRequest(spec: GuestSpec(name: "filler", template: "busybox", limits: GuestLimits(memoryBytes: 4 << 30)))
                filler.host = "host2"
                filler.desiredState = .stopped
                _ = try c.createGuest(filler)
                let plan = try c.evacuate("host1", dryRun: true, allowPartial: true)
                #expect(plan.moves.map(\.guest) == ["r1"])
                #expect(plan.moves.first?.destination == "host2")
                #expect(plan.unplaceable.map(\.guest) == ["s1"])
                #expect(plan.unplaceable.first?.reason.contains("vfleet.pool/solo") == true, "\(plan.unplaceable)")
                // A move by hand to a host the pool does not serve is refused, with the reason.
                #expect { _ = try c.moveGuest("r1", to: "host3") } throws: { ($0 as? FleetError)?.message.contains("serves only host1, host2") ?? false }
                // Chosen by the scheduler: host2, not host3.
                #expect(try c.moveGuest("r1", to: nil).destination == "host2")
                // A new guest of a pool lands where the pool serves, not where spread
                // alone would put it (host3 is the emptiest).
                var s2 = Controller.GuestRequest(spec: GuestSpec(name: "s2", template: "busybox"))
                s2.pool = "solo"
                s2.automaticNetwork = true
                s2.desiredState = .stopped
                #expect(try c.createGuest(s2).1.name == "host1")
                var r3 = Controller.GuestRequest(spec: GuestSpec(name: "r3", template: "busybox"))
                r3.pool = "rack"
                r3.automaticNetwork = true
                r3.desiredState = .stopped
                #expect(try c.createGuest(r3).1.name != "host3")
            }
        }

        @Test func anAddressIsNeverGivenTwiceAlsoUnderConcurrentCreates() throws {
            try withCluster(hosts: 1) { cluster in
                let c = try cluster.busyboxController()
                let p = Self.prefix(cluster)
                // 6 assignable addresses for 8 guests created at once by 8 controllers.
                _ = try c.addPool("small", cidr: "\(p).200/29", hosts: [], gateway: nil)
                let results = parallelMap(Array(0..<8), maxParallel: 8) { i -> Result<StoredGuest, FleetError> in
                    do throws(FleetError) {
                        let own = try Controller(dbPath: cluster.dbPath, knownHosts: cluster.state.knownHostsFile, identity: cluster.state.identityFile)
                        var r = Controller.GuestRequest(spec: GuestSpec(name: "g\(i)", template: "busybox"))
                        r.pool = "small"
                        r.automaticNetwork = true
                        r.desiredState = .stopped
                        return .success(try own.createGuest(r).0)
                    } catch { return .failure(error) }
                }
                let made = results.compactMap { try? $0.get() }
                let failed = results.compactMap { r -> FleetError? in if case .failure(let e) = r { return e } else { return nil } }
                let given = made.flatMap { $0.spec.addresses ?? [] }
                try #require(made.count == 6, "\(failed.map(\.message))")
                #expect(Set(given).count == given.count)
                #expect(Set(given) == Set((201...206).map { "\(p).\($0)" }))
                #expect(failed.count == 2)
                #expect(failed.allSatisfy { $0.message.contains("exhausted") }, "\(failed.map(\.message))")
                #expect(Set(try c.store.addresses().map(\.address)) == Set(given))
                // Given by hand, a taken address is refused and nothing is recorded.
                var dup = Controller.GuestRequest(spec: GuestSpec(name: "dup", template: "busybox", network: .isolated, addresses: [given[0]]))
                dup.desiredState = .stopped
                #expect { _ = try c.createGuest(dup) } throws: { ($0 as? FleetError)?.message.contains("is given to guest") ?? false }
                #expect((try? c.store.guest("dup")) == nil)
                #expect(try c.store.addresses().count == 6)
                // Removing a pool in use is refused; a free address goes back to the pool.
                #expect(throws: FleetError.self) { try c.removePool("small") }
                try c.destroyGuest(made[0].name, force: true)
                var again = Controller.GuestRequest(spec: GuestSpec(name: "again", template: "busybox"))
                again.pool = "small"
                again.automaticNetwork = true
                again.desiredState = .stopped
                #expect(try c.createGuest(again).0.spec.addresses == made[0].spec.addresses)
            }
        }

        @Test func privateGuestHasItsOwnNamespaceOnABridgeWithItsRouteAndLeavesNoVethBehind() throws {
            try withCluster(hosts: 1) { cluster in
                let c = try cluster.busyboxController()
                let k = cluster.state.bridge.dropFirst(4)
                let inside = "10.233.\(k).2"
                var r = Controller.GuestRequest(spec: GuestSpec(name: "priv", template: "busybox", network: .private,
                                                                addresses: ["\(inside)/24"], gateway: "10.233.\(k).1", bridge: "vfpriv"))
                r.host = "host1"
                _ = try c.createGuest(r)
                let routes = try c.execGuest("priv", argv: ["/bin/sh", "-c", "ip -4 addr show eth0; ip route"])
                #expect(routes.stdout.contains("inet \(inside)/24"), "\(routes.stdout)")
                #expect(routes.stdout.contains("default via 10.233.\(k).1"), "\(routes.stdout)")
                // The host is not in it: its addresses are not the guest's.
                #expect(!routes.stdout.contains(cluster.state.hosts[0].address))
                try Self.serveWeb(c, "priv", port: 8081, text: "private web")
                // The agent made the bridge and gave it the gateway: the host reaches the guest through it.
                #expect(try Self.holds(cluster, "host1", "10.233.\(k).1"))
                let got = try Self.fetch(cluster, from: "host1", "http://\(inside):8081/")
                #expect(got.status == 0 && got.out.contains("private web"), "\(got.out)")
                let ctx = try c.connections.call(RPC.GuestStatus(name: "priv"), on: try c.store.host("host1")).contextId
                #expect(try Self.inHost(cluster, "host1", ["ip", "link", "show", "vfg\(ctx)"]).status == 0)
                _ = try c.stopGuest("priv")
                #expect(try Self.inHost(cluster, "host1", ["ip", "link", "show", "vfg\(ctx)"]).status != 0)
                // Again, on the bridge that exists now (its rc.local serves again).
                _ = try c.startGuest("priv")
                var again = (status: Int32(-1), out: "")
                for _ in 0..<20 {
                    again = try Self.fetch(cluster, from: "host1", "http://\(inside):8081/")
                    if again.status == 0 { break }
                    usleep(250_000)
                }
                #expect(again.status == 0 && again.out.contains("private web"), "after a restart: \(again.out)")
            }
        }
    }
}
