import FleetAgent
import FleetKernel
import FleetProtocol
import Foundation
import Testing

/// A throw-away agent: its own state root and its own cgroup parent, so
/// tests never touch a real /var/lib/vfleet or each other's guests.
/// `withTestAgent` always tears down, also when the test fails: every guest
/// is killed, every cgroup and the state directory removed.
struct TestAgent {
    let agent: Agent
    let root: String

    static let template = "bb"

    func makeGuest(_ name: String, template: String = TestAgent.template, limits: GuestLimits = GuestLimits(),
                   capAdd: [String] = [], capDrop: [String] = [], network: NetworkMode = .host, initCommand: [String]? = nil,
                   initStyle: InitStyle? = nil, userns: Bool? = nil, start: Bool = true) throws {
        _ = try agent.create(GuestSpec(name: name, template: template, limits: limits, initCommand: initCommand,
                                       initStyle: initStyle, network: network, capAdd: capAdd, capDrop: capDrop,
                                       userNamespace: userns))
        if start { _ = try agent.start(name) }
    }

    /// Runs a command in a guest and returns its result.
    func run(_ guest: String, _ script: String, timeout: Double = 30) throws -> GuestExecResult {
        try agent.execCaptured(GuestExecParams(name: guest, argv: ["/bin/sh", "-c", script], timeoutSeconds: timeout))
    }

    /// The path of the built vfleet-agent executable, next to the test bundle.
    static var binary: String {
        if let env = ProcessInfo.processInfo.environment["VFLEET_AGENT_BIN"] { return env }
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("vfleet-agent").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/debug/vfleet-agent").path
    }

    /// Runs the CLI against this agent's root.
    func cli(_ args: [String], stdin: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["VFLEET_CGROUP_PARENT"] = nil
        env["VFLEET_AGENT_ROOT"] = root
        p.environment = env
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        try p.run()
        if let stdin { inp.fileHandleForWriting.write(Data(stdin.utf8)) }
        try inp.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }
}

func withTestAgent<R>(buildTemplate: Bool = true, _ body: (TestAgent) throws -> R) throws -> R {
    let id = UUID().uuidString.prefix(8).lowercased()
    let root = "/var/tmp/vfleet-test-\(id)"
    let paths = AgentPaths(root: root)
    try AgentConfig(cgroupParent: "vfleet-test-\(id)").save(paths: paths)
    let agent = try Agent(paths: paths)
    defer { TestAgent.tearDown(agent: agent, root: root) }
    if buildTemplate { _ = try agent.buildTemplate(kind: "busybox", name: TestAgent.template) }
    return try body(TestAgent(agent: agent, root: root))
}

extension TestAgent {
    static func tearDown(agent: Agent, root: String) {
        for record in agent.guests.all() {
            try? agent.destroy(record.spec.name, force: true)
        }
        // The parent cgroup in every hierarchy.
        for h in agent.layout.hierarchies {
            let parent = h.mountPoint + "/" + agent.config.cgroupParent
            for child in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] {
                let path = parent + "/" + child
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
                    let cg = GuestCgroup(layout: agent.layout, relativePath: agent.config.cgroupParent + "/" + child)
                    try? cg.killAll(timeoutSeconds: 5)
                    try? cg.remove()
                }
            }
            rmdir(parent)
        }
        // A guest's --disk left mounted by a failed test: detached, so its
        // loop device goes too (mount(8) made it autoclear).
        for point in LayerDisk.mountPoints().reversed() where point.hasPrefix(root + "/") { umount2(point, Int32(MNT_DETACH)) }
        // destroy hands trees to a detached `rm -rf`, which may still be at
        // work here: removing the same tree at once can fail half-way.
        for _ in 0..<100 where FileManager.default.fileExists(atPath: root) {
            try? FileManager.default.removeItem(atPath: root)
            if FileManager.default.fileExists(atPath: root) { usleep(50_000) }
        }
    }
}

/// Polls `condition` until it holds or `seconds` pass.
func eventually(_ seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}
