import FleetAgent
import FleetProtocol
import Foundation
import Testing

/// The attack program of the escape tests (Tests/probes/guest-probe.c),
/// built once per test run as a static binary so that it runs in any guest.
enum GuestProbe {
    static let binary: Result<String, ProbeBuildError> = build()

    struct ProbeBuildError: Error, CustomStringConvertible {
        let description: String
    }

    private static func build() -> Result<String, ProbeBuildError> {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("probes/guest-probe.c").path
        let out = "/var/tmp/vfleet-probe-\(getpid())"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["cc", "-static", "-O1", "-o", out, source]
        let err = Pipe()
        p.standardError = err
        do { try p.run() } catch { return .failure(ProbeBuildError(description: "cannot run cc: \(error) (scripts/install-deps installs gcc and libc6-dev)")) }
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return .failure(ProbeBuildError(description: "cc \(source) failed: \(text)")) }
        return .success(out)
    }

    /// Copies the probe to /probe in a created (not yet started) guest's own layer.
    static func install(in t: TestAgent, guest: String) throws {
        let path = try binary.get()
        let target = t.agent.paths.guestUpper(guest) + "/probe"
        try? FileManager.default.removeItem(atPath: target)
        try FileManager.default.copyItem(atPath: path, toPath: target)
        #expect(chmod(target, 0o755) == 0)
    }
}

extension TestAgent {
    /// A guest with the probe at /probe, started. Network `none` (the
    /// product's default without --ip): guests on the host's network are
    /// also Landlock-scoped, which would block some attacks on its own, and
    /// each test here attacks one defence at a time.
    func makeProbedGuest(_ name: String, userns: Bool, capAdd: [String] = [], allowSyscalls: [String]? = nil,
                         network: NetworkMode = .none) throws {
        _ = try agent.create(GuestSpec(name: name, template: TestAgent.template, network: network, capAdd: capAdd,
                                       userNamespace: userns, allowSyscalls: allowSyscalls))
        try GuestProbe.install(in: self, guest: name)
        _ = try agent.start(name)
    }

    /// `vfleet-agent exec NAME -- ARGS` with stdin read from a host file.
    func cliExec(_ guest: String, _ argv: [String], stdinFile: String) throws -> (status: Int32, stdout: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = ["exec", guest, "--"] + argv
        var env = ProcessInfo.processInfo.environment
        env["VFLEET_AGENT_ROOT"] = root
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: stdinFile))
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self))
    }
}
