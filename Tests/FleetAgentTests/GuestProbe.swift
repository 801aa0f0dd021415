import FleetAgent
import FleetProtocol
import FleetTestSupport
import Foundation
import Testing

/// The escape tests' attack program (FleetTestSupport's GuestAttackProgram)
/// in a guest's own layer.
enum GuestProbe {
    /// Copies the probe to /probe in a created (not yet started) guest's own layer.
    static func install(in t: TestAgent, guest: String) throws {
        let path = try GuestAttackProgram.binary()
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
