import FleetAgent
import FleetProtocol
import FleetTestSupport
import Foundation
import Glibc
import Testing

/// `vfleet-agent check`'s kernel configuration part (KernelConfigCheck),
/// `kernel/check` and `kernel/vfleet.config` must say the same thing.
@Suite(.tags(.unit)) struct KernelConfigCheckTests {
    /// The repository's root, from this file's path (Tests/FleetAgentTests/…).
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let fragmentPath = repo + "/kernel/vfleet.config"
    static let checkScript = repo + "/kernel/check"

    /// kernel/vfleet.config as (option, required, purpose), in file order.
    static func fragment() throws -> [(option: String, required: Bool, purpose: String)] {
        let text = try String(contentsOfFile: fragmentPath, encoding: .utf8)
        var out: [(option: String, required: Bool, purpose: String)] = []
        var pending: (Bool, String)?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# required: ") {
                pending = (true, String(line.dropFirst("# required: ".count)))
            } else if line.hasPrefix("# optional: ") {
                pending = (false, String(line.dropFirst("# optional: ".count)))
            } else if line.hasPrefix("CONFIG_"), let eq = line.firstIndex(of: "=") {
                let (required, purpose) = try #require(pending, "\(line) has no required/optional line above it")
                out.append((String(line[..<eq]), required, purpose))
                pending = nil
            }
        }
        return out
    }

    /// A configuration with every option of the fragment set to `=y`, then
    /// `edit` applied per option (return nil to drop the line).
    static func config(_ edit: (String) -> String? = { "\($0)=y" }) -> String {
        var lines = ["#", "# Automatically generated file; DO NOT EDIT.", "# Linux/x86 6.1.0 Kernel Configuration", "#",
                     "CONFIG_CC_VERSION_TEXT=\"gcc (Debian 12.2.0-14) 12.2.0\"", "CONFIG_LOCALVERSION=\"\"", "CONFIG_HZ=250"]
        for r in KernelConfigCheck.requirements() {
            if let line = edit(r.option) { lines.append(line) }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func verdicts(_ reqs: [KernelRequirement]) -> [String: KernelRequirement.Verdict] {
        Dictionary(uniqueKeysWithValues: reqs.map { (String($0.name.dropFirst("kernel config: ".count)), $0.verdict) })
    }

    @Test func swiftListAndFragmentAreTheSame() throws {
        let fromFile = try Self.fragment()
        let fromSwift = KernelConfigCheck.requirements()
        #expect(fromFile.map(\.option) == fromSwift.map(\.option))
        #expect(fromFile.map(\.required) == fromSwift.map(\.required))
        #expect(fromFile.map(\.purpose) == fromSwift.map(\.purpose))
        #expect(Set(fromSwift.map(\.option)).count == fromSwift.count, "an option is listed twice")
        for must in ["CONFIG_NAMESPACES", "CONFIG_PID_NS", "CONFIG_MEMCG", "CONFIG_CGROUP_PIDS", "CONFIG_CFS_BANDWIDTH", "CONFIG_OVERLAY_FS"] {
            #expect(fromSwift.contains { $0.option == must && $0.required }, "\(must) must be required")
        }
        for later in ["CONFIG_USER_NS", "CONFIG_VETH", "CONFIG_BRIDGE", "CONFIG_BPF_SYSCALL", "CONFIG_CGROUP_BPF"] {
            #expect(fromSwift.contains { $0.option == later && !$0.required }, "\(later) must be optional")
        }
    }

    @Test func everythingSetIsAllPresent() {
        let reqs = KernelConfigCheck.check(configText: Self.config())
        #expect(reqs.count == KernelConfigCheck.requirements().count)
        #expect(reqs.allSatisfy { $0.verdict == .present })
        #expect(reqs.allSatisfy { $0.name.hasPrefix("kernel config: CONFIG_") })
        #expect(reqs.first?.purpose == KernelConfigCheck.requirements().first?.purpose)
    }

    @Test(arguments: ["# CONFIG_MEMCG is not set", nil, "CONFIG_MEMCG=n"])
    func memcgNotSetIsMissing(line: String?) {
        let reqs = KernelConfigCheck.check(configText: Self.config { $0 == "CONFIG_MEMCG" ? line : "\($0)=y" })
        let v = Self.verdicts(reqs)
        #expect(v["CONFIG_MEMCG"] == .missing)
        #expect(v.filter { $0.key != "CONFIG_MEMCG" }.values.allSatisfy { $0 == .present })
        #expect(!KernelCheckReport(kernel: "x", cgroupMode: "v2", requirements: reqs).ok)
    }

    @Test func moduleCountsAsPresent() {
        let reqs = KernelConfigCheck.check(configText: Self.config { $0 == "CONFIG_OVERLAY_FS" || $0 == "CONFIG_VETH" ? "\($0)=m" : "\($0)=y" })
        let overlay = reqs.first { $0.name == "kernel config: CONFIG_OVERLAY_FS" }
        #expect(overlay?.verdict == .present)
        #expect(overlay?.detail == "module")
        #expect(Self.verdicts(reqs)["CONFIG_VETH"] == .present)
    }

    @Test func missingOptionalOnesAreOptional() {
        let optional = Set(KernelConfigCheck.requirements().filter { !$0.required }.map(\.option))
        let reqs = KernelConfigCheck.check(configText: Self.config { optional.contains($0) ? "# \($0) is not set" : "\($0)=y" })
        for (option, verdict) in Self.verdicts(reqs) {
            #expect(verdict == (optional.contains(option) ? .optional : .present), "\(option)")
        }
        #expect(KernelCheckReport(kernel: "x", cgroupMode: "v2", requirements: reqs).ok)
    }

    @Test func findConfigTakesTheFirstReadableFile() throws {
        let dir = NSTemporaryDirectory() + "vfleet-kcfg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "CONFIG_MEMCG=y\n".write(toFile: dir + "/b", atomically: true, encoding: .utf8)
        try "CONFIG_MEMCG=y\n".write(toFile: dir + "/c", atomically: true, encoding: .utf8)
        #expect(KernelConfigCheck.findConfig(in: [dir + "/a", dir + "/b", dir + "/c"]) == dir + "/b")
        #expect(KernelConfigCheck.findConfig(in: [dir + "/a"]) == nil)
    }

    @Test func readsGzipCompressedConfigurations() throws {
        let dir = NSTemporaryDirectory() + "vfleet-kcfg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = Self.config { $0 == "CONFIG_PID_NS" ? nil : "\($0)=y" }
        try text.write(toFile: dir + "/config", atomically: true, encoding: .utf8)
        #expect(try kcRun(["/usr/bin/env", "gzip", "-k", dir + "/config"]).status == 0)
        #expect(try KernelConfigCheck.readConfig(at: dir + "/config.gz") == text)
        #expect(try KernelConfigCheck.readConfig(at: dir + "/config") == text)
        #expect(throws: FleetError.self) { try KernelConfigCheck.readConfig(at: dir + "/absent") }
    }

    // MARK: kernel/check gives the same verdict

    /// kernel/check's verdict per option, parsed from its report.
    static func scriptVerdicts(_ stdout: String) -> [String: KernelRequirement.Verdict] {
        var out: [String: KernelRequirement.Verdict] = [:]
        for line in stdout.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 2, f[0].hasPrefix("CONFIG_"), let v = KernelRequirement.Verdict(rawValue: String(f[1])) else { continue }
            out[String(f[0])] = v
        }
        return out
    }

    static let cases: [(String, @Sendable (String) -> String?)] = [
        ("everything", { "\($0)=y" }),
        ("memcg not set", { $0 == "CONFIG_MEMCG" ? "# CONFIG_MEMCG is not set" : "\($0)=y" }),
        ("memcg absent", { $0 == "CONFIG_MEMCG" ? nil : "\($0)=y" }),
        ("modules", { ["CONFIG_OVERLAY_FS", "CONFIG_VETH", "CONFIG_BRIDGE"].contains($0) ? "\($0)=m" : "\($0)=y" }),
        ("optional missing", { ["CONFIG_USER_NS", "CONFIG_VETH", "CONFIG_CGROUP_BPF"].contains($0) ? "# \($0) is not set" : "\($0)=y" }),
        ("old kernel", { ["CONFIG_CFS_BANDWIDTH", "CONFIG_CGROUP_PIDS", "CONFIG_BPF_SYSCALL"].contains($0) ? nil : "\($0)=y" }),
        ("=n", { $0 == "CONFIG_NET_NS" ? "CONFIG_NET_NS=n" : "\($0)=y" }),
        ("empty", { _ in nil }),
    ]

    @Test func scriptAndSwiftGiveTheSameVerdicts() throws {
        let dir = NSTemporaryDirectory() + "vfleet-kcfg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (i, (label, edit)) in Self.cases.enumerated() {
            let text = Self.config(edit)
            let path = dir + "/config-\(i)"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let swift = KernelConfigCheck.check(configText: text)
            let r = try kcRun([Self.checkScript, path])
            let script = Self.scriptVerdicts(r.stdout)
            #expect(script == Self.verdicts(swift), "\(label): kernel/check says \(r.stdout)")
            let ok = KernelCheckReport(kernel: "x", cgroupMode: "v2", requirements: swift).ok
            #expect(r.status == (ok ? 0 : 1), "\(label): exit \(r.status)")
            for req in swift where req.verdict == .missing {
                #expect(r.stdout.contains("lacks") && r.stdout.contains(String(req.name.dropFirst("kernel config: ".count))))
            }
        }
        // The same, compressed like /proc/config.gz.
        try Self.config(Self.cases[1].1).write(toFile: dir + "/gz", atomically: true, encoding: .utf8)
        #expect(try kcRun(["/usr/bin/env", "gzip", dir + "/gz"]).status == 0)
        let gz = try kcRun([Self.checkScript, dir + "/gz.gz"])
        #expect(gz.status == 1)
        #expect(Self.scriptVerdicts(gz.stdout)["CONFIG_MEMCG"] == .missing)
        #expect(Self.scriptVerdicts(gz.stdout).count == KernelConfigCheck.requirements().count)
    }

    @Test func scriptPrintsWhatEachOptionIsFor() throws {
        let dir = NSTemporaryDirectory() + "vfleet-kcfg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.config { $0 == "CONFIG_OVERLAY_FS" ? "\($0)=m" : "\($0)=y" }.write(toFile: dir + "/c", atomically: true, encoding: .utf8)
        let r = try kcRun([Self.checkScript, dir + "/c"])
        #expect(r.status == 0)
        for req in KernelConfigCheck.requirements() {
            #expect(r.stdout.contains(req.purpose), "\(req.option)")
        }
        #expect(r.stdout.contains("(module)"))
        #expect(r.stdout.contains("this kernel can run vfleet guests"))
        let unreadable = try kcRun([Self.checkScript, dir + "/absent"])
        #expect(unreadable.status == 2)
        #expect(unreadable.stderr.contains("cannot read"))
    }

    /// No /proc/config.gz and no /boot/config-*: kernel/check says so and
    /// exits 2; findConfig() finds nothing either. Both are hidden in a mount
    /// namespace of the test's own.
    @Test(.enabled(if: getuid() == 0, "needs root for a mount namespace"))
    func withoutAnyConfigurationTheScriptSaysSoAndExits2() throws {
        let script = "mount --make-rprivate / && mount -t tmpfs none /proc && mount -t tmpfs none /boot && exec \"$0\""
        let r = try kcRun(["/usr/bin/unshare", "--mount", "/bin/sh", "-c", script, Self.checkScript])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("no kernel configuration found"))
        #expect(r.stderr.contains("/proc/config.gz"))
        #expect(KernelConfigCheck.findConfig(in: ["/nonexistent/config.gz", "/boot/config-0.0.0-none"]) == nil)
    }

    /// On this machine: the agent's view and kernel/check's agree on the
    /// running kernel's own configuration, if it has one.
    @Test func thisHostScriptAndAgentAgree() throws {
        let reqs = KernelConfigCheck.hostRequirements()
        guard let path = KernelConfigCheck.findConfig() else {
            #expect(reqs.count == 1 && reqs[0].verdict == .optional)
            let r = try kcRun([Self.checkScript])
            #expect(r.status == 2)
            return
        }
        #expect(reqs.first?.name == "kernel config")
        #expect(reqs.first?.detail == path)
        let options = Array(reqs.dropFirst())
        let r = try kcRun([Self.checkScript])
        #expect(r.stdout.contains(path))
        #expect(Self.scriptVerdicts(r.stdout) == Self.verdicts(options))
        #expect(r.status == (options.contains { $0.verdict == .missing } ? 1 : 0))
    }

    /// `vfleet-agent check` (the command, through KernelChecker) reports the
    /// kernel configuration lines with kernel/check's verdicts.
    @Test func agentCheckCommandGivesTheSameVerdictAsTheScript() throws {
        let r = try kcRun([TestAgent.binary, "check", "--format", "json"])
        let report = try JSONDecoder().decode(KernelCheckReport.self, from: Data(r.stdout.utf8))
        let config = report.requirements.filter { $0.name.hasPrefix("kernel config") }
        guard KernelConfigCheck.findConfig() != nil else {
            #expect(config.map(\.name) == ["kernel config"])
            #expect(config.first?.verdict == .optional)
            return
        }
        let options = config.filter { $0.name.hasPrefix("kernel config: ") }
        #expect(options.map(\.name) == KernelConfigCheck.requirements().map { "kernel config: \($0.option)" })
        let script = try kcRun([Self.checkScript])
        #expect(Self.scriptVerdicts(script.stdout) == Self.verdicts(options))
        if script.status == 1 { #expect(r.status == 1 && !report.ok) }
    }
}

private func kcRun(_ argv: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: argv[0])
    p.arguments = Array(argv.dropFirst())
    var env = ProcessInfo.processInfo.environment
    env["NO_COLOR"] = "1"
    p.environment = env
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    // Read both pipes concurrently enough for these small outputs: stderr is short.
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}
