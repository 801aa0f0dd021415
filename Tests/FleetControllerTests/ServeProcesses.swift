import FleetSystem
import FleetTestSupport
import Foundation
import Glibc
import Testing

struct ServeTestFailure: Error, CustomStringConvertible {
    let description: String
}

/// A process a test started and must end by its pid, also when it fails:
/// SIGTERM, then SIGKILL after a grace period.
final class TestProcess {
    let process = Process()
    let log: String

    init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, log: String) throws {
        self.log = log
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = out
        process.standardError = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try out.close()
    }

    var pid: Int32 { process.processIdentifier }
    var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    /// Waits until its output holds `text` at least `count` times; false at
    /// the deadline. For a line the process writes just after the change a
    /// test watched for (`vfleet serve` logs a resumed operation once it has
    /// ended, so the store says "done" a moment before the line is there).
    func waitForOutput(containing text: String, count: Int = 1, within seconds: Double) -> Bool {
        let deadline = Monotonic.now + seconds
        while output.components(separatedBy: text).count - 1 < count {
            if Monotonic.now >= deadline { return false }
            usleep(50_000)
        }
        return true
    }

    /// Ends it; its exit status, or nil if it had to be killed.
    @discardableResult
    func stop(grace: Double = 10) -> Int32? {
        guard process.isRunning else { return process.terminationStatus }
        kill(pid, SIGTERM)
        let deadline = Monotonic.now + grace
        while process.isRunning && Monotonic.now < deadline { usleep(20_000) }
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    deinit { if process.isRunning { stop(grace: 2) } }
}

/// `vfleet serve` on a test cluster's controller, listening on a port the
/// kernel picks.
struct ServeUnderTest {
    let proc: TestProcess
    let port: UInt16

    static func start(_ cluster: TestCluster, _ extra: [String]) throws -> ServeUnderTest {
        var env = TestCluster.environment(["VFLEET_IDENTITY": cluster.state.identityFile, "VFLEET_SSH_PERSIST": "0"])
        env["VFLEET_METRICS_ADDRESS"] = "127.0.0.1:0"
        let p = try TestProcess(TestCluster.vfleetBinary,
                                ["serve", "--db", cluster.dbPath, "--known-hosts", cluster.state.knownHostsFile] + extra,
                                environment: env, log: cluster.directory + "/serve.log")
        let deadline = Monotonic.now + 20
        while Monotonic.now < deadline {
            if let r = p.output.range(of: "http://127.0.0.1:"), let port = UInt16(p.output[r.upperBound...].prefix { $0.isNumber }) {
                return ServeUnderTest(proc: p, port: port)
            }
            if !p.process.isRunning { break }
            usleep(50_000)
        }
        p.stop()
        throw ServeTestFailure(description: "vfleet serve did not say where it listens: \(p.output)")
    }

    /// GET a path: status code and body.
    func get(_ path: String = "/metrics") throws -> (status: Int, body: String) {
        let raw = try HTTPProbe.get(host: "127.0.0.1", port: port, path: path)
        let status = Int(raw.split(separator: " ").dropFirst().first ?? "") ?? 0
        let body = raw.range(of: "\r\n\r\n").map { String(raw[$0.upperBound...]) } ?? ""
        return (status, body)
    }

    /// Waits until /metrics answers 200 and `ready` holds for its body.
    func waitForMetrics(timeout: Double = 30, _ ready: (String) -> Bool = { _ in true }) throws -> String {
        let deadline = Monotonic.now + timeout
        var last = ""
        while Monotonic.now < deadline {
            let r = try get()
            last = "\(r.status) \(r.body.prefix(300))"
            if r.status == 200 && ready(r.body) { return r.body }
            usleep(200_000)
        }
        throw ServeTestFailure(description: "vfleet serve's /metrics never got ready: \(last)")
    }
}

/// The value of one unlabelled or labelled sample in an exposition.
func sample(_ body: String, _ series: String) -> Double? {
    for line in body.split(separator: "\n") where line.hasPrefix(series + " ") {
        return Double(line.dropFirst(series.count + 1))
    }
    return nil
}

/// A real Prometheus server (Debian's prometheus) scraping one target every
/// second, with its data in a temporary directory.
struct PrometheusUnderTest {
    let proc: TestProcess
    let port: UInt16
    let directory: String

    static func start(scraping target: String, in parent: String) throws -> PrometheusUnderTest {
        let dir = parent + "/prometheus"
        try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
        let config = """
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: vfleet
                static_configs:
                  - targets: ["\(target)"]
            """
        try config.write(toFile: dir + "/prometheus.yml", atomically: true, encoding: .utf8)
        let port = try freePort()
        let p = try TestProcess("/usr/bin/prometheus", [
            "--config.file=\(dir)/prometheus.yml", "--storage.tsdb.path=\(dir)/data",
            "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
        ], log: dir + "/prometheus.log")
        return PrometheusUnderTest(proc: p, port: port, directory: dir)
    }

    /// The instant vector of `query` from /api/v1/query: labels and value of each series.
    func query(_ query: String) throws -> [(labels: [String: String], value: Double)] {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "_-.")
        let q = query.addingPercentEncoding(withAllowedCharacters: allowed) ?? query
        let raw = try HTTPProbe.get(host: "127.0.0.1", port: port, path: "/api/v1/query?query=\(q)")
        guard let start = raw.range(of: "\r\n\r\n") else { return [] }
        struct Answer: Decodable {
            struct Data: Decodable {
                struct Series: Decodable {
                    var metric: [String: String]
                    var value: [ValuePart]
                }
                var result: [Series]
            }
            var status: String
            var data: Data
        }
        enum ValuePart: Decodable {
            case time(Double), text(String)
            init(from d: Decoder) throws {
                let c = try d.singleValueContainer()
                if let t = try? c.decode(Double.self) { self = .time(t) } else { self = .text(try c.decode(String.self)) }
            }
        }
        let answer = try JSONDecoder().decode(Answer.self, from: Data(raw[start.upperBound...].utf8))
        return answer.data.result.compactMap { s in
            guard case .text(let v)? = s.value.last, let d = Double(v) else { return nil }
            return (s.metric, d)
        }
    }

    /// Waits until `query` returns at least one series.
    func waitFor(_ query: String, timeout: Double = 40) throws -> [(labels: [String: String], value: Double)] {
        let deadline = Monotonic.now + timeout
        while Monotonic.now < deadline {
            if let r = try? self.query(query), !r.isEmpty { return r }
            if !proc.process.isRunning { break }
            usleep(250_000)
        }
        throw ServeTestFailure(description: "Prometheus never answered \(query): \(proc.output.suffix(2000))")
    }

    static func freePort() throws -> UInt16 {
        // Bound and released at once: Prometheus cannot say which port it took for 0.
        let l = try HTTPListener(address: "127.0.0.1:0") { _ in .init(status: 404, body: "") }
        let port = l.port
        l.stop()
        return UInt16(port)
    }
}
