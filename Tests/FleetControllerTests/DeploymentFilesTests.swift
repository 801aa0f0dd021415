import FleetController
import FleetProtocol
import FleetTestSupport
import Foundation
import Testing

/// The files an operator deploys with (agent/, controller/, ansible/) are
/// valid for the tools that read them.
@Suite(.tags(.unit)) struct DeploymentFilesTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func read(_ relative: String) throws -> String {
        try String(contentsOfFile: repo + "/" + relative, encoding: .utf8)
    }

    static func tempDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "vfleet-deploy-\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    // MARK: agent/

    @Test func systemdUnitPassesSystemdAnalyzeVerify() throws {
        let tool = try #require(DeployShell.which("systemd-analyze"), "systemd-analyze missing (scripts/install-deps installs systemd)")
        let unit = try Self.read("agent/vfleet-agent.service")
        // verify checks that ExecStart's binary exists: point a temporary
        // copy at the built agent instead of /usr/local/bin (never written by tests).
        let agent = TestCluster.agentBinary
        #expect(FileManager.default.isExecutableFile(atPath: agent), "build vfleet-agent first: \(agent)")
        let dir = try Self.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try unit.replacingOccurrences(of: "/usr/local/bin/vfleet-agent", with: agent)
            .write(toFile: dir + "/vfleet-agent.service", atomically: true, encoding: .utf8)
        let r = try DeployShell.run([tool, "verify", dir + "/vfleet-agent.service"])
        #expect(r.status == 0, "systemd-analyze verify: \(r.out)\(r.err)")
        #expect(!r.err.contains("vfleet-agent.service:"), "systemd-analyze verify warns: \(r.err)")

        // And a copy whose binary does not exist fails: verify really looks.
        try unit.replacingOccurrences(of: "/usr/local/bin/vfleet-agent", with: dir + "/no-such-agent")
            .write(toFile: dir + "/vfleet-agent.service", atomically: true, encoding: .utf8)
        #expect(try DeployShell.run([tool, "verify", dir + "/vfleet-agent.service"]).status != 0)
    }

    // MARK: controller/

    @Test func serveUnitPassesSystemdAnalyzeVerify() throws {
        let tool = try #require(DeployShell.which("systemd-analyze"), "systemd-analyze missing (scripts/install-deps installs systemd)")
        let unit = try Self.read("controller/vfleet-serve.service")
        let vfleet = TestCluster.vfleetBinary
        #expect(FileManager.default.isExecutableFile(atPath: vfleet), "build vfleet first: \(vfleet)")
        let dir = try Self.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try unit.replacingOccurrences(of: "/usr/local/bin/vfleet", with: vfleet)
            .write(toFile: dir + "/vfleet-serve.service", atomically: true, encoding: .utf8)
        let r = try DeployShell.run([tool, "verify", dir + "/vfleet-serve.service"])
        #expect(r.status == 0, "systemd-analyze verify: \(r.out)\(r.err)")
        #expect(!r.err.contains("vfleet-serve.service:"), "systemd-analyze verify warns: \(r.err)")
        let lines = Set(unit.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.hasPrefix("#") })
        for expected in ["Type=simple", "ExecStart=/usr/local/bin/vfleet serve", "EnvironmentFile=-/etc/default/vfleet",
                         "ReadWritePaths=/var/lib/vfleet-controller", "WantedBy=multi-user.target"] {
            #expect(lines.contains(expected), "missing \(expected)")
        }
        // The settings it reads are in the env file operators copy.
        let env = try Self.read("controller/vfleet.env.example")
        for key in ServeSettings.environmentKeys { #expect(env.contains(key), "vfleet.env.example lacks \(key)") }
    }

    @Test func systemdUnitStartsAndStopsGuestsTheWayTheDesignSays() throws {
        let unit = try Self.read("agent/vfleet-agent.service")
        let lines = Set(unit.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.hasPrefix("#") })
        for expected in ["Type=oneshot", "RemainAfterExit=yes", "ExecStart=/usr/local/bin/vfleet-agent boot",
                         "ExecStop=/usr/local/bin/vfleet-agent shutdown --timeout 30s",
                         "After=network-online.target local-fs.target", "WantedBy=multi-user.target"] {
            #expect(lines.contains(expected), "missing \(expected)")
        }
        // Guests live in the agent's own cgroups, not the unit's: no KillMode
        // that pretends otherwise, and nothing to delegate.
        #expect(!lines.contains { $0.hasPrefix("KillMode=none") || $0.hasPrefix("KillMode=process") })
        #expect(!lines.contains { $0.hasPrefix("Delegate=") })
        let stop = try #require(lines.first { $0.hasPrefix("TimeoutStopSec=") })
        let minutes = Int(stop.dropFirst("TimeoutStopSec=".count).replacingOccurrences(of: "min", with: "")) ?? 0
        #expect(minutes >= 2, "TimeoutStopSec must allow for several 30 s guest stops: \(stop)")
    }

    @Test func authorizedKeysExampleForcesTheAgentAndNothingElse() throws {
        let text = try Self.read("agent/authorized_keys.example")
        let keyLines = text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
        #expect(keyLines.count == 1)
        let line = String(try #require(keyLines.first))
        #expect(line.hasPrefix("command=\"/usr/local/bin/vfleet-agent rpc\","))
        for option in ["no-pty", "no-port-forwarding", "no-agent-forwarding", "no-X11-forwarding", "no-user-rc"] {
            #expect(line.contains(option + ",") || line.contains(option + " "), "missing \(option)")
        }
        #expect(line.hasSuffix(" vfleet-controller"))

        // The options are exactly what `vfleet key show` prints for a real key.
        let dir = try Self.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let c = try Controller(dbPath: dir + "/fleet.db")
        try c.generateKey()
        let real = try c.authorizedKeysLine(agentPath: "/usr/local/bin/vfleet-agent")
        func options(_ l: String) -> Substring { l[..<(l.range(of: " ssh-ed25519 ")?.lowerBound ?? l.endIndex)] }
        #expect(options(line) == options(real))
        #expect(real.hasSuffix(" vfleet-controller"))
    }

    @Test func agentJSONIsTheAgentsDefaultAndDocumented() throws {
        let data = Data(try Self.read("agent/agent.json").utf8)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["cgroupParent"] as? String == "vfleet")
        #expect(object["firstContextId"] as? Int == 100)
        let readme = try Self.read("agent/README.md")
        for key in object.keys {
            #expect(readme.contains("`\(key)`"), "agent/README.md does not explain \(key)")
        }
    }

    // MARK: controller/

    @Test func controllerEnvironmentExampleNamesEveryVariable() throws {
        let env = try Self.read("controller/vfleet.env.example")
        let readme = try Self.read("controller/README.md")
        for variable in ["VFLEET_DB", "VFLEET_KNOWN_HOSTS", "VFLEET_IDENTITY"] {
            #expect(env.contains(variable + "="), "vfleet.env.example lacks \(variable)")
            #expect(readme.contains(variable), "controller/README.md lacks \(variable)")
        }
        for d in ControllerSettings.descriptions {
            #expect(readme.contains("| `\(d.key)` | `\(d.defaultValue)` |"), "controller/README.md does not document \(d.key) with its default \(d.defaultValue)")
        }
        #expect(readme.contains("vfleet db backup"))
    }

    // MARK: kernel/

    @Test func kernelCheckIsExecutable() {
        #expect(FileManager.default.isExecutableFile(atPath: Self.repo + "/kernel/check"))
        #expect(FileManager.default.fileExists(atPath: Self.repo + "/kernel/vfleet.config"))
    }

    // MARK: ansible/

    @Test func sitePlaybookPassesSyntaxCheck() throws {
        let playbook = try #require(DeployShell.which("ansible-playbook"), "ansible-playbook missing (scripts/install-deps installs ansible-core)")
        let dir = try Self.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = ["ANSIBLE_HOME": dir, "ANSIBLE_LOCAL_TEMP": dir + "/tmp", "ANSIBLE_NOCOLOR": "1"]
        let plain = try DeployShell.run([playbook, "--syntax-check", Self.repo + "/ansible/site.yml"], env: env, cwd: dir)
        #expect(plain.status == 0, "\(plain.out)\(plain.err)")
        let withInventory = try DeployShell.run([playbook, "--syntax-check", "-i", Self.repo + "/ansible/inventory.example.ini",
                                                 Self.repo + "/ansible/site.yml"], env: env, cwd: dir)
        #expect(withInventory.status == 0, "\(withInventory.out)\(withInventory.err)")
    }

    @Test func exampleInventoryHasTheAgentsAndTheController() throws {
        let tool = try #require(DeployShell.which("ansible-inventory"), "ansible-inventory missing (apt-get install ansible-core)")
        let dir = try Self.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try DeployShell.run([tool, "-i", Self.repo + "/ansible/inventory.example.ini", "--list"],
                                    env: ["ANSIBLE_HOME": dir, "ANSIBLE_LOCAL_TEMP": dir + "/tmp"], cwd: dir)
        #expect(r.status == 0, "\(r.err)")
        let inventory = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let agents = (inventory["agents"] as? [String: Any])?["hosts"] as? [String] ?? []
        let controller = (inventory["controller"] as? [String: Any])?["hosts"] as? [String] ?? []
        #expect(agents.count >= 2)
        #expect(controller.count == 1)
    }

    /// Only ansible-core's builtin modules (Debian's ansible-core package has
    /// no collections), and lineinfile rather than ansible.posix.authorized_key.
    @Test func rolesUseOnlyBuiltinModules() throws {
        let root = Self.repo + "/ansible"
        let files = (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".yml") }
        #expect(files.contains("roles/vfleet_agent/tasks/main.yml"))
        #expect(files.contains("roles/vfleet_controller/tasks/main.yml"))
        let module = try NSRegularExpression(pattern: #"^\s*(?:- )?([a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9_]+):"#, options: .anchorsMatchLines)
        var seen: Set<String> = []
        for file in files {
            let text = try String(contentsOfFile: root + "/" + file, encoding: .utf8)
            for m in module.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let name = String(text[Range(m.range(at: 1), in: text)!])
                seen.insert(name)
                #expect(name.hasPrefix("ansible.builtin."), "\(file) uses \(name)")
            }
            #expect(!text.contains("authorized_key:"), "\(file) uses the authorized_key module (ansible.posix)")
        }
        #expect(seen.contains("ansible.builtin.lineinfile"))
    }
}

/// Running the deployment tools from tests.
enum DeployShell {
    static func which(_ tool: String) -> String? {
        for dir in ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: dir + "/" + tool) {
            return dir + "/" + tool
        }
        return nil
    }

    /// Runs `argv`, stdout and stderr to files (ansible prints a lot), and
    /// returns both with the exit status.
    static func run(_ argv: [String], env extra: [String: String] = [:], cwd: String? = nil) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        var env = ProcessInfo.processInfo.environment
        // Hermetic: a VFLEET_* of the shell that started the tests must not
        // steer the vfleet these tests run.
        for key in env.keys where key.hasPrefix("VFLEET_") { env[key] = nil }
        // No connection keeper outlives a test: every vfleet these tests run connects by itself.
        env["VFLEET_SSH_PERSIST"] = "0"
        for (k, v) in extra { env[k] = v }
        p.environment = env
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let base = NSTemporaryDirectory() + "vfleet-deploy-run-\(UUID().uuidString.prefix(8))"
        _ = FileManager.default.createFile(atPath: base + ".out", contents: nil)
        _ = FileManager.default.createFile(atPath: base + ".err", contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".out"))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".err"))
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        try? out.close()
        try? err.close()
        return (p.terminationStatus,
                (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? "",
                (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? "")
    }
}
