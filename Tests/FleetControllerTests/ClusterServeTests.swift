@testable import FleetController
import FleetProtocol
import FleetSystem
import FleetTestSupport
import Foundation
import Glibc
import Testing

extension ClusterTests {
    @Suite struct Serve {
        /// `vfleet serve` on three test hosts: promtool accepts its output,
        /// and a real Prometheus server scraping it answers vfleet_hosts_up
        /// and a guest's memory as the inventory says them.
        @Test func prometheusScrapesServeAndAgreesWithTheInventory() throws {
            try withCluster(hosts: 3) { cluster in
                let c = try cluster.busyboxController()
                for i in 1...3 {
                    _ = try c.createGuest(Controller.GuestRequest(spec: GuestSpec(name: "met\(i)", template: "busybox",
                                                                                     limits: GuestLimits(memoryBytes: 32 << 20))))
                }
                let serve = try ServeUnderTest.start(cluster, ["--interval", "1s", "--host-timeout", "3s"])
                defer { serve.proc.stop() }
                let body = try serve.waitForMetrics { sample($0, "vfleet_hosts_up") == 3 }
                #expect(try serve.get("/").status == 404)
                #expect(try serve.get("/metrics/x").status == 404)

                let file = cluster.directory + "/metrics.txt"
                try body.write(toFile: file, atomically: true, encoding: .utf8)
                let check = try Subprocess.run(["/bin/sh", "-c", "promtool check metrics < \(file)"])
                #expect(check.status == 0 && check.stdoutText.isEmpty && check.stderrText.isEmpty,
                        "promtool: \(check.stdoutText)\(check.stderrText)")

                let prom = try PrometheusUnderTest.start(scraping: "127.0.0.1:\(serve.port)", in: cluster.directory)
                defer { prom.proc.stop() }
                let up = try prom.waitFor("vfleet_hosts_up")
                let report = try c.inventory()
                #expect(up.count == 1 && up[0].value == Double(report.summary.reachableHosts))
                #expect(up[0].labels["job"] == "vfleet")

                let guest = try #require(report.guests.first { $0.name == "met2" })
                let limit = try prom.waitFor("vfleet_guest_memory_limit_bytes{guest=\"met2\"}")
                #expect(limit.first?.value == Double(32 << 20))
                #expect(limit.first?.labels["host"] == guest.host)
                let used = try prom.waitFor("vfleet_guest_memory_bytes{guest=\"met2\"}")
                let reported = Double(try #require(guest.memoryBytes))
                // An idle busybox guest: the two readings a second apart agree within 10%.
                let seen = try #require(used.first?.value)
                #expect(abs(seen - reported) <= reported * 0.1, "Prometheus \(seen), inventory \(reported)")
                let running = try prom.waitFor("vfleet_guest_state{guest=\"met2\",state=\"running\"}")
                #expect(running.first?.value == 1)
                let hostUp = try prom.waitFor("vfleet_host_up")
                #expect(Set(hostUp.compactMap { $0.labels["host"] }) == Set(report.hosts.map(\.name)))
                #expect(hostUp.allSatisfy { $0.value == 1 })

                #expect(prom.proc.stop() != nil)
                // SIGTERM: a clean stop, said in its log.
                #expect(serve.proc.stop() == 0)
                #expect(serve.proc.output.contains("vfleet serve: stopped"))
            }
        }

        /// A host that hangs (every process of its namespace stopped: sshd
        /// and the agent of serve's session) holds up serve's observation,
        /// never a scrape: each answers within a second, and the host is
        /// marked down once its timeouts pass.
        @Test func aHungHostDoesNotSlowAScrape() throws {
            try withCluster(hosts: 3) { cluster in
                let c = try cluster.busyboxController()
                _ = try c.createGuest(Controller.GuestRequest(spec: GuestSpec(name: "hang1", template: "busybox")))
                let serve = try ServeUnderTest.start(cluster, ["--interval", "1s", "--host-timeout", "2s"])
                defer { serve.proc.stop() }
                _ = try serve.waitForMetrics { sample($0, "vfleet_hosts_up") == 3 }

                let victim = cluster.state.hosts[1]
                let pids = try Subprocess.run(["ip", "netns", "pids", victim.namespace]).stdoutText
                    .split(separator: "\n").compactMap { Int32($0) }
                try #require(!pids.isEmpty)
                for pid in pids { kill(pid, SIGSTOP) }
                defer { for pid in pids { kill(pid, SIGCONT) } }

                var slowest = 0.0
                var marked: String?
                let deadline = Monotonic.now + 30
                while Monotonic.now < deadline {
                    let started = Monotonic.now
                    let r = try serve.get()
                    slowest = max(slowest, Monotonic.now - started)
                    #expect(r.status == 200)
                    if sample(r.body, "vfleet_host_up{host=\"\(victim.name)\"}") == 0 {
                        marked = r.body
                        break
                    }
                    usleep(250_000)
                }
                #expect(slowest < 1, "slowest scrape \(slowest) s")
                let body = try #require(marked, "the hung host was never marked down")
                #expect(sample(body, "vfleet_hosts_up") == 2)
                #expect(sample(body, "vfleet_hosts_unreachable") == 1)
                #expect(sample(body, "vfleet_host_up{host=\"\(cluster.state.hosts[0].name)\"}") == 1)
                // Its guest's state is unknown now, not stale.
                #expect(body.contains("vfleet_guest_state{guest=\"hang1\"") == true)
                // While rounds wait on the hung host, scrapes still answer at
                // once and say how old their data are.
                for _ in 0..<4 {
                    let started = Monotonic.now
                    let r = try serve.get()
                    slowest = max(slowest, Monotonic.now - started)
                    #expect(r.status == 200)
                    let age = try #require(sample(r.body, "vfleet_observation_age_seconds"))
                    #expect(age >= 0 && age < 30)
                    usleep(500_000)
                }
                #expect(slowest < 1, "slowest scrape \(slowest) s")
                print("aHungHostDoesNotSlowAScrape: slowest scrape \(String(format: "%.4f", slowest)) s with one of 3 hosts hung")
            }
        }
    }
}
