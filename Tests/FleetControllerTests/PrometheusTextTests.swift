@testable import FleetController
import FleetProtocol
import FleetSystem
import FleetTestSupport
import Foundation
import Testing

/// The exposition `vfleet serve` writes: the text format's rules, checked
/// line by line and by promtool, Prometheus' own checker.
@Suite(.tags(.unit)) struct PrometheusTextTests {
    @Test func writesHelpTypeAndSamplesWithIntegersPlainAndSpecialValues() {
        let text = PrometheusText.encode([
            .single("vfleet_hosts_up", "Hosts up.", .gauge, 3),
            MetricFamily(name: "vfleet_x_bytes", help: "X.", kind: .gauge, series: [
                .value(labels: [MetricLabel("host", "h1")], 1.5),
                .value(labels: [MetricLabel("host", "h2")], .infinity),
                .value(labels: [MetricLabel("host", "h3")], -.infinity),
                .value(labels: [MetricLabel("host", "h4")], .nan),
                .value(labels: [MetricLabel("host", "h5")], 17_179_869_184),
            ]),
        ])
        #expect(text == """
            # HELP vfleet_hosts_up Hosts up.
            # TYPE vfleet_hosts_up gauge
            vfleet_hosts_up 3
            # HELP vfleet_x_bytes X.
            # TYPE vfleet_x_bytes gauge
            vfleet_x_bytes{host="h1"} 1.5
            vfleet_x_bytes{host="h2"} +Inf
            vfleet_x_bytes{host="h3"} -Inf
            vfleet_x_bytes{host="h4"} NaN
            vfleet_x_bytes{host="h5"} 17179869184

            """)
    }

    @Test func escapesLabelValuesAndHelp() {
        let text = PrometheusText.encode([
            MetricFamily(name: "vfleet_t", help: "a \\ b\nc \"q\"", kind: .gauge,
                         series: [.value(labels: [MetricLabel("guest", "a\"b\\c\nd"), MetricLabel("host", "ü")], 1)]),
        ])
        // HELP escapes backslash and newline only; a label value also the quote.
        #expect(text.contains("# HELP vfleet_t a \\\\ b\\nc \"q\"\n"))
        #expect(text.contains("vfleet_t{guest=\"a\\\"b\\\\c\\nd\",host=\"ü\"} 1\n"))
        #expect(text.split(separator: "\n").count == 3)
    }

    @Test func histogramBucketsAreCumulativeAndEndInInf() {
        var h = Histogram(bounds: [0.1, 1, 10])
        for v in [0.05, 0.1, 0.5, 3, 100] { h.observe(v) }
        let text = PrometheusText.encode([
            MetricFamily(name: "vfleet_d_seconds", help: "D.", kind: .histogram, series: [.histogram(labels: [MetricLabel("host", "h1")], h)]),
        ])
        #expect(text == """
            # HELP vfleet_d_seconds D.
            # TYPE vfleet_d_seconds histogram
            vfleet_d_seconds_bucket{host="h1",le="0.1"} 2
            vfleet_d_seconds_bucket{host="h1",le="1"} 3
            vfleet_d_seconds_bucket{host="h1",le="10"} 4
            vfleet_d_seconds_bucket{host="h1",le="+Inf"} 5
            vfleet_d_seconds_sum{host="h1"} 103.65
            vfleet_d_seconds_count{host="h1"} 5

            """)
        // Counts made elsewhere (SQL) add into the same buckets.
        var added = Histogram(bounds: [0.1, 1, 10])
        added.add(perBucket: [2, 1, 1, 1], sum: 103.65)
        #expect(added == h)
    }

    @Test func namesFollowPrometheusRules() {
        #expect(PrometheusText.validName("vfleet_hosts_up"))
        #expect(PrometheusText.validName("a:b_c1"))
        #expect(!PrometheusText.validName("1abc"))
        #expect(!PrometheusText.validName("vfleet-hosts"))
        #expect(!PrometheusText.validName(""))
        #expect(PrometheusText.validLabelName("host"))
        #expect(!PrometheusText.validLabelName("a:b"))
        // Every family serve writes: a valid name, counters in _total,
        // base units (no milliseconds, megabytes or percent).
        let families = FleetMetrics.families(Self.snapshot(), Self.totals())
        #expect(families.count >= 30)
        for f in families {
            #expect(PrometheusText.validName(f.name) && f.name.hasPrefix("vfleet_"), "\(f.name)")
            #expect((f.kind == .counter) == f.name.hasSuffix("_total"), "\(f.name)")
            #expect(!["_ms", "_milliseconds", "_mb", "_megabytes", "_percent", "_kb"].contains { f.name.hasSuffix($0) }, "\(f.name)")
        }
        #expect(Set(families.map(\.name)).count == families.count)
    }

    @Test func fleetMetricsSayWhatTheReportSays() throws {
        let s = Self.snapshot()
        let text = PrometheusText.encode(FleetMetrics.families(s, Self.totals()))
        let up = s.report.hosts.filter(\.reachable).count
        #expect(text.contains("\nvfleet_hosts_up \(up)\n"))
        #expect(text.contains("\nvfleet_hosts_unreachable \(s.report.hosts.count - up)\n"))
        let down = try #require(s.report.hosts.first { !$0.reachable })
        #expect(text.contains("vfleet_host_up{host=\"\(down.name)\"} 0\n"))
        // An unreachable host's usage is absent, not zero.
        #expect(!text.contains("vfleet_host_memory_used_bytes{host=\"\(down.name)\"}"))
        let g = try #require(s.report.guests.first { $0.memoryBytes != nil })
        #expect(text.contains("vfleet_guest_memory_bytes{guest=\"\(g.name)\",host=\"\(g.host!)\"} \(g.memoryBytes!)\n"))
        #expect(text.contains("vfleet_operations_started_total{kind=\"move\"} 4\n"))
        #expect(text.contains("vfleet_operations_finished_total{kind=\"move\",outcome=\"rolled_back\"} 1\n"))
        #expect(text.contains("vfleet_operations_finished_total{kind=\"move\",outcome=\"succeeded\"} 2\n"))
        #expect(text.contains("vfleet_operations_in_flight{kind=\"move\"} 1\n"))
        #expect(text.contains("vfleet_operation_duration_seconds_count{kind=\"move\",outcome=\"succeeded\"} 2\n"))
        #expect(text.contains("vfleet_agent_request_duration_seconds_bucket{host=\"\(s.report.hosts[0].name)\",le=\"+Inf\"} 1\n"))
        // Both transports, the one no move took yet at 0.
        #expect(text.contains("# TYPE vfleet_moved_bytes_total counter\n"))
        #expect(text.contains("vfleet_moved_bytes_total{transport=\"direct\"} 209715200\n"))
        #expect(text.contains("vfleet_moved_bytes_total{transport=\"relay\"} 0\n"))
    }

    /// promtool, Prometheus' own checker, finds nothing wrong (Debian's
    /// prometheus package; scripts/install-deps).
    @Test func promtoolAcceptsTheExposition() throws {
        let text = PrometheusText.encode(FleetMetrics.families(Self.snapshot(), Self.totals()))
        let file = NSTemporaryDirectory() + "vfleet-metrics-\(UUID().uuidString).txt"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let r = try Subprocess.run(["/bin/sh", "-c", "promtool check metrics < \(file)"])
        #expect(r.status == 0, "promtool: \(r.stdoutText)\(r.stderrText)")
        #expect(r.stdoutText.isEmpty && r.stderrText.isEmpty, "promtool: \(r.stdoutText)\(r.stderrText)")
    }

    /// 500 hosts and 5,000 guests: what a round encodes (outside the lock
    /// scrapes take), checked by promtool too.
    @Test func encodesFiveHundredHostsInWellUnderASecond() throws {
        let report = SyntheticInventory.report(hosts: 500)
        let s = FleetSnapshot(report: report, helloSeconds: Dictionary(uniqueKeysWithValues: report.hosts.map { ($0.name, 0.004) }),
                              operations: [], storeWriteSeconds: 0.002, at: 1_796_526_000, seconds: 1)
        var totals = ObservationTotals()
        totals.add(s)
        let started = Monotonic.now
        let families = FleetMetrics.families(s, totals)
        let built = Monotonic.now
        let text = PrometheusText.encode(families)
        let seconds = Monotonic.now - started
        print("500 hosts, 5,000 guests: \(text.utf8.count) bytes; families \(String(format: "%.3f", built - started)) s, "
              + "encoded \(String(format: "%.3f", seconds - (built - started))) s")
        #expect(seconds < 1)
        let file = NSTemporaryDirectory() + "vfleet-metrics-\(UUID().uuidString).txt"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let r = try Subprocess.run(["/bin/sh", "-c", "promtool check metrics < \(file)"])
        #expect(r.status == 0, "promtool: \(r.stdoutText.prefix(2000))\(r.stderrText.prefix(2000))")
    }

    /// Replica lag (issue 21): only with the replicated store; the lag only
    /// while etcd answers for the head.
    @Test func replicaMetricsSayHowFarBehindTheReplicaWas() {
        func values(_ lag: StoreReplicaLag?) -> [String: Double] {
            var s = Self.snapshot()
            s.replicaLag = lag
            var out: [String: Double] = [:]
            for f in FleetMetrics.replica(s) {
                for case .value(_, let v) in f.series { out[f.name] = v }
            }
            return out
        }
        #expect(values(nil).isEmpty)
        #expect(values(StoreReplicaLag(applied: 7, head: 9)) == ["vfleet_store_replica_applied_entry": 7, "vfleet_store_log_reachable": 1,
                                                               "vfleet_store_replica_lag_entries": 2])
        #expect(values(StoreReplicaLag(applied: 7, head: nil)) == ["vfleet_store_replica_applied_entry": 7, "vfleet_store_log_reachable": 0])
    }

    @Test func operationTalliesCountTheJournalByKindAndState() throws {
        let path = StoreTests.tempDB()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let store = try FleetStore(path: path)
        for (i, state) in [StoredOperation.State.done, .done, .failed, .rolledBack, .running].enumerated() {
            let op = try store.beginOperation(kind: "move", guest: "g\(i)", host: "h1", params: "{}", firstStep: "template")
            if state != .running { try store.finishOperation(op.id!, state: state) }
        }
        _ = try store.beginOperation(kind: "evacuate", guest: nil, host: "h1", params: "{}", firstStep: "plan")
        let tallies = try store.operationTallies(bounds: [0.5, 1])
        #expect(tallies.map(\.kind) == ["evacuate", "move", "move", "move", "move"])
        let done = try #require(tallies.first { $0.kind == "move" && $0.state == .done })
        #expect(done.count == 2)
        // Each took well under half a second: all in the first bucket.
        #expect(done.perBucket == [2, 0, 0])
        #expect(tallies.first { $0.state == .rolledBack }?.count == 1)
        #expect(tallies.first { $0.kind == "move" && $0.state == .running }?.count == 1)
    }

    static func snapshot() -> FleetSnapshot {
        let report = SyntheticInventory.report(hosts: 20)
        let ops = [
            OperationTally(kind: "move", state: .done, count: 2, seconds: 7, perBucket: [0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            OperationTally(kind: "move", state: .rolledBack, count: 1, seconds: 40, perBucket: [0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
            OperationTally(kind: "move", state: .running, count: 1, seconds: 1, perBucket: [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        ]
        return FleetSnapshot(report: report, helloSeconds: Dictionary(uniqueKeysWithValues: report.hosts.map { ($0.name, 0.004) }),
                             operations: ops, storeWriteSeconds: 0.002, at: 1_796_526_000, seconds: 0.3, movedBytes: ["direct": 209_715_200],
                             replicaLag: StoreReplicaLag(applied: 7, head: 9))
    }

    static func totals() -> ObservationTotals {
        var t = ObservationTotals()
        t.add(snapshot())
        return t
    }
}
