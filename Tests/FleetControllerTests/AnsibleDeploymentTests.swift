import FleetController
import Foundation
import Testing

/// ansible/site.yml, run for real by `ansible-playbook` against the test
/// cluster's hosts over SSH: installs the agents, makes a new controller
/// key, enrols the hosts; a second run changes nothing; then the fleet
/// places and runs a guest on every host.
///
/// The roles install scripts/package's .deb files (built once per test
/// run). The test hosts share this machine's file system except
/// /var/lib/vfleet (each host's own, bound in its own mount namespace), so
/// before the play each host's namespace gets ScratchSystem's overlays on
/// /usr, /etc, /var/lib, /var/cache and /var/log, and the play itself (the
/// controller, which runs locally) runs in a scratch namespace too: the
/// packages install for real, with their dependencies checked against
/// the real dpkg database, and nothing is written to this machine's /usr,
/// /etc, dpkg database or /root/.ssh. The controller's files go to the
/// test's directory.
///
/// A suite of its own rather than one of `ClusterTests`: those run one at
/// a time, and this one first waits minutes for the release build of the
/// packages. Test clusters up at the same time get disjoint context-id
/// blocks and namespaces (`DevCluster`), so this one runs beside them.
@Suite(.serialized, .tags(.cluster)) struct AnsibleDeploymentTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    // The package build (a release build) is part of the time.
    @Test(.timeLimit(.minutes(30)))
    func sitePlaybookInstallsAndEnrolsTheTestHosts() async throws {
        let playbook = try #require(DeployShell.which("ansible-playbook"), "ansible-playbook missing (scripts/install-deps installs ansible-core)")
        let debs = try await BuiltPackages.debs()
        let agentBinary = TestCluster.agentBinary
        let vfleetBinary = (agentBinary as NSString).deletingLastPathComponent + "/vfleet"
        try #require(FileManager.default.isExecutableFile(atPath: vfleetBinary), "vfleet not built next to \(agentBinary)")
        let realStatusBefore = try Data(contentsOf: URL(fileURLWithPath: "/var/lib/dpkg/status"))

        try withCluster(hosts: 2) { cluster in
            let work = cluster.directory + "/ansible"
            let controllerDir = work + "/controller"
            let db = controllerDir + "/fleet.db"
            for d in [work, work + "/home", work + "/tmp", work + "/remote-tmp", work + "/cp"] {
                try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
            }
            let inventory = work + "/inventory.yml"
            try Self.writeInventory(inventory, cluster: cluster, work: work, controllerDir: controllerDir, debs: debs)
            // Each host's own scratch system; its /var/lib/vfleet stays its state directory.
            for h in cluster.state.hosts {
                try ScratchSystem.enter(pid: h.sshdPid, directory: Self.hostScratch(work, h.name),
                                        after: "mkdir -p /var/lib/vfleet\nmount --bind '\(h.stateDirectory)' /var/lib/vfleet\n")
            }
            let controllerScratch = work + "/scratch-controller"
            try FileManager.default.createDirectory(atPath: controllerScratch, withIntermediateDirectories: true)
            let env = [
                // Ansible's own connection to the hosts (as root, with the
                // cluster's admin key): the test hosts are brand new, so
                // their keys cannot be known in advance. This concerns only
                // Ansible's connection; the controller's known_hosts is
                // filled by the role (ssh-keyscan) and checked strictly by vfleet.
                "ANSIBLE_HOST_KEY_CHECKING": "False",
                "ANSIBLE_HOME": work + "/home",
                "ANSIBLE_LOCAL_TEMP": work + "/tmp",
                "ANSIBLE_SSH_CONTROL_PATH_DIR": work + "/cp",
                "ANSIBLE_SSH_ARGS": "-o ControlMaster=auto -o ControlPersist=10s",
                "ANSIBLE_PIPELINING": "True",
                "ANSIBLE_RETRY_FILES_ENABLED": "False",
                "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_FORKS": "5",
            ]
            let argv = [playbook, "-i", inventory, Self.repo + "/ansible/site.yml"]
            // The play, in the controller's scratch system (it installs vfleet locally).
            let play = { (argv: [String]) throws -> (status: Int32, out: String, err: String) in
                try ScratchSystem.run("exec " + argv.map(Self.shellQuoted).joined(separator: " "), in: controllerScratch, env: env, cwd: work)
            }

            let first = try play(argv)
            try first.out.write(toFile: work + "/run1.log", atomically: true, encoding: .utf8)
            try #require(first.status == 0, "first run failed:\n\(first.out.suffix(6000))\n\(first.err.suffix(2000))")
            let recap1 = Self.recap(first.out)
            #expect(Set(recap1.keys) == Set(["ops"] + cluster.state.hosts.map(\.name)), "\(recap1)")
            #expect(recap1.values.allSatisfy { $0["failed"] == 0 && $0["unreachable"] == 0 })
            #expect(cluster.state.hosts.allSatisfy { (recap1[$0.name]?["changed"] ?? 0) > 0 })

            let second = try play(argv)
            try second.out.write(toFile: work + "/run2.log", atomically: true, encoding: .utf8)
            try #require(second.status == 0, "second run failed:\n\(second.out.suffix(6000))\n\(second.err.suffix(2000))")
            let recap2 = Self.recap(second.out)
            #expect(recap2.count == cluster.state.hosts.count + 1)
            for (host, counts) in recap2 {
                #expect(counts["changed"] == 0, "second run changed \(host): \(second.out.suffix(6000))")
                #expect(counts["failed"] == 0)
            }

            // What the roles left on each host, seen from this machine.
            let vfleet = { (args: [String]) throws -> (status: Int32, out: String, err: String) in
                try DeployShell.run([vfleetBinary] + args + ["--db", db], cwd: work)
            }
            let keyLine = try vfleet(["key", "show", "--agent", "/usr/bin/vfleet-agent"])
            #expect(keyLine.status == 0, "\(keyLine.err)")
            for h in cluster.state.hosts {
                let keys = try String(contentsOfFile: Self.authorizedKeys(cluster, h.name), encoding: .utf8)
                #expect(keys.split(separator: "\n").filter { $0 == keyLine.out.trimmingCharacters(in: .newlines) }.count == 1,
                        "\(h.name)'s authorized_keys lacks the controller's line: \(keys)")
                // The package's files, in the host's own /usr and dpkg database.
                let usr = ScratchSystem.upper(Self.hostScratch(work, h.name), "usr")
                #expect(FileManager.default.isExecutableFile(atPath: usr + "/bin/vfleet-agent"))
                #expect(FileManager.default.isExecutableFile(atPath: usr + "/lib/vfleet-agent/check"))
                let unit = try String(contentsOfFile: usr + "/lib/systemd/system/vfleet-agent.service", encoding: .utf8)
                #expect(unit.contains("ExecStart=/usr/bin/vfleet-agent boot\n"))
                #expect(unit.contains("ExecStop=/usr/bin/vfleet-agent shutdown --timeout 30s\n"))
                let status = try String(contentsOfFile: ScratchSystem.upper(Self.hostScratch(work, h.name), "var/lib") + "/dpkg/status", encoding: .utf8)
                #expect(status.contains("Package: vfleet-agent\nStatus: install ok installed\n"), "\(h.name): vfleet-agent not installed")
                let config = try String(contentsOfFile: h.stateDirectory + "/agent.json", encoding: .utf8)
                #expect(config.contains("\"cgroupParent\": \"\(h.cgroupParent)\""))
                #expect(config.contains("\"firstContextId\": \(try #require(h.firstContextId))"), "\(config)")
            }
            #expect(FileManager.default.fileExists(atPath: controllerDir + "/id_ed25519"))
            let controllerStatus = try String(contentsOfFile: ScratchSystem.upper(controllerScratch, "var/lib") + "/dpkg/status", encoding: .utf8)
            #expect(controllerStatus.contains("Package: vfleet\nStatus: install ok installed\n"), "the controller's vfleet is not installed")
            #expect(try String(contentsOfFile: controllerDir + "/known_hosts", encoding: .utf8)
                .split(separator: "\n").filter { !$0.isEmpty }.count >= cluster.state.hosts.count)

            // Every host enrolled.
            let list = try vfleet(["host", "list", "--format", "json"])
            #expect(list.status == 0, "\(list.err)")
            let hosts = (try JSONSerialization.jsonObject(with: Data(list.out.utf8)) as? [[String: Any]]) ?? []
            #expect(Set(hosts.compactMap { $0["name"] as? String }) == Set(cluster.state.hosts.map(\.name)), "\(list.out)")

            // A guest placed on each host runs there.
            let template = try vfleet(["template", "add", "busybox", "--busybox"])
            #expect(template.status == 0, "\(template.err)")
            for (i, h) in cluster.state.hosts.enumerated() {
                let g = try vfleet(["guest", "create", "g\(i + 1)", "--template", "busybox", "--host", h.name, "--memory", "64M"])
                #expect(g.status == 0, "guest create g\(i + 1) on \(h.name): \(g.out)\(g.err)")
            }
            let inv = try vfleet(["inventory", "--format", "json"])
            #expect(inv.status == 0, "\(inv.err)")
            let report = (try JSONSerialization.jsonObject(with: Data(inv.out.utf8)) as? [String: Any]) ?? [:]
            let guests = (report["guests"] as? [[String: Any]]) ?? []
            for (i, h) in cluster.state.hosts.enumerated() {
                let g = guests.first { $0["name"] as? String == "g\(i + 1)" }
                #expect(g?["host"] as? String == h.name, "\(inv.out)")
                #expect(g?["actualState"] as? String == "running", "\(inv.out)")
            }

            // A kernel that lacks a required option stops the play on that
            // host, before the controller enrols anything: here a fragment
            // that also requires an option no kernel has.
            let strict = work + "/strict-kernel"
            try FileManager.default.createDirectory(atPath: strict, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: Self.repo + "/kernel/check", toPath: strict + "/check")
            try (try String(contentsOfFile: Self.repo + "/kernel/vfleet.config", encoding: .utf8)
                + "\n# required: a test of the play's kernel gate\nCONFIG_VFLEET_TEST_MISSING=y\n")
                .write(toFile: strict + "/vfleet.config", atomically: true, encoding: .utf8)
            let gated = try play(argv + ["--limit", "ops,host1", "-e", "vfleet_kernel_fragment_src=\(strict)/vfleet.config"])
            #expect(gated.status != 0, "the play must fail on a missing kernel option: \(gated.out.suffix(3000))")
            #expect(gated.out.contains("fatal: [host1]"))
            #expect(gated.out.contains("lacks what vfleet guests need: CONFIG_VFLEET_TEST_MISSING"), "\(gated.out.suffix(3000))")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: "/var/lib/dpkg/status")) == realStatusBefore,
                "the test must never change this machine's dpkg database")
        for path in ["/usr/bin/vfleet-agent", "/usr/bin/vfleet", "/etc/default/vfleet-agent"] {
            #expect(!FileManager.default.fileExists(atPath: path), "the test must never write \(path)")
        }
    }

    static func hostScratch(_ work: String, _ host: String) -> String { work + "/scratch-\(host)" }

    static func shellQuoted(_ word: String) -> String { "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    static func authorizedKeys(_ cluster: TestCluster, _ host: String) -> String {
        cluster.state.directory + "/hosts/\(host)/ssh/authorized_keys"
    }

    /// A YAML inventory (written as JSON, which is YAML): the controller
    /// runs locally with its files in the test's directory; each test host
    /// gets its paths below its own /var/lib/vfleet.
    static func writeInventory(_ path: String, cluster: TestCluster, work: String, controllerDir: String,
                               debs: BuiltPackages.Debs) throws {
        var agents: [String: Any] = [:]
        for h in cluster.state.hosts {
            agents[h.name] = [
                "ansible_host": h.address,
                "ansible_port": h.port,
                "vfleet_authorized_keys_file": authorizedKeys(cluster, h.name),
                "vfleet_agent_config": ["cgroupParent": h.cgroupParent, "firstContextId": h.firstContextId ?? 100] as [String: Any],
            ] as [String: Any]
        }
        let inventory: [String: Any] = [
            "all": [
                "vars": [
                    "ansible_python_interpreter": "/usr/bin/python3",
                    "ansible_remote_tmp": work + "/remote-tmp",
                ],
                "children": [
                    "controller": [
                        "hosts": [
                            "ops": [
                                "ansible_connection": "local",
                                "vfleet_controller_deb_src": debs.vfleet,
                                "vfleet_controller_dir": controllerDir,
                            ],
                        ],
                    ],
                    "agents": [
                        "hosts": agents,
                        "vars": [
                            "ansible_user": "root",
                            "ansible_ssh_private_key_file": cluster.state.adminIdentityFile,
                            // Ansible's own record of the hosts' keys: not /root/.ssh/known_hosts.
                            "ansible_ssh_common_args": "-o UserKnownHostsFile=\(work)/ansible_known_hosts",
                            // The test hosts' sshd has no sftp subsystem: send files
                            // through the shell at once instead of failing sftp and scp first.
                            "ansible_ssh_transfer_method": "piped",
                            "ansible_pipelining": true,
                            "vfleet_agent_deb_src": debs.agent,
                            "vfleet_manage_service": false,
                        ] as [String: Any],
                    ],
                ],
            ] as [String: Any],
        ]
        let data = try JSONSerialization.data(withJSONObject: inventory, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// PLAY RECAP: host → {ok, changed, unreachable, failed, skipped, …}.
    static func recap(_ output: String) -> [String: [String: Int]] {
        guard let start = output.range(of: "PLAY RECAP") else { return [:] }
        var out: [String: [String: Int]] = [:]
        for line in output[start.upperBound...].split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[1].contains("changed=") else { continue }
            var counts: [String: Int] = [:]
            for field in parts[1].split(separator: " ") {
                let kv = field.split(separator: "=")
                if kv.count == 2, let n = Int(kv[1]) { counts[String(kv[0])] = n }
            }
            out[parts[0].trimmingCharacters(in: .whitespaces)] = counts
        }
        return out
    }
}
