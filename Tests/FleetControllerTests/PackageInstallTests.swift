import FleetTestSupport
import Foundation
import Testing

/// scripts/package's two .deb files, installed, used and purged in a scratch
/// system (ScratchSystem: overlays on /usr, /etc, /var/lib, /var/cache and /var/log in a mount
/// namespace of the test's own), so that the machine's dpkg database and
/// its /usr are never written.
@Suite(.tags(.root), .serialized) struct PackageInstallTests {
    @Test(.timeLimit(.minutes(30)))
    func packagesCarryTheirFilesAndDeclareEveryLibraryTheyLoad() async throws {
        let debs = try await BuiltPackages.debs()
        let version = try DeployShell.run([BuiltPackages.repo + "/.build-package/release/vfleet", "--version"])
            .out.trimmingCharacters(in: .whitespacesAndNewlines)
        for (deb, command, section) in [(debs.vfleet, "vfleet", "1"), (debs.agent, "vfleet-agent", "8")] {
            #expect(try Self.field(deb, "Version") == version + "-1")
            let files = try DeployShell.run(["/usr/bin/dpkg-deb", "--contents", deb]).out
            for path in ["./usr/bin/\(command)", "./usr/share/man/man\(section)/\(command).\(section).gz",
                         "./usr/share/bash-completion/completions/\(command)", "./usr/share/zsh/vendor-completions/_\(command)",
                         "./usr/share/fish/vendor_completions.d/\(command).fish", "./etc/default/\(command)",
                         "./usr/share/doc/\(command)/copyright", "./usr/share/doc/\(command)/changelog.Debian.gz"] {
                #expect(files.contains(" \(path)\n"), "\(deb) lacks \(path)")
            }
            let conffiles = try DeployShell.run(["/usr/bin/dpkg-deb", "--info", deb, "conffiles"]).out
            #expect(conffiles.contains("/etc/default/\(command)"))
        }
        let vfleetFiles = try DeployShell.run(["/usr/bin/dpkg-deb", "--contents", debs.vfleet]).out
        for path in ["./lib/systemd/system/vfleet-serve.service", "./usr/share/man/man1/vfleet.serve.1.gz"] {
            #expect(vfleetFiles.contains(" \(path)\n"), "vfleet lacks \(path)")
        }
        let agentFiles = try DeployShell.run(["/usr/bin/dpkg-deb", "--contents", debs.agent]).out
        for path in ["./lib/systemd/system/vfleet-agent.service", "./usr/lib/vfleet-agent/check", "./usr/lib/vfleet-agent/vfleet.config",
                     "./usr/share/doc/vfleet-agent/examples/authorized_keys.example", "./usr/share/man/man8/vfleet-agent.rpc.8.gz"] {
            #expect(agentFiles.contains(" \(path)\n"), "vfleet-agent lacks \(path)")
        }
        // Every library the installed binaries link (their NEEDED entries;
        // what those load in turn, their own packages declare) belongs to a
        // package that the .deb names in Depends: no `apt-get -f install` needed.
        let scratch = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let r = try ScratchSystem.run("""
            dpkg --force-depends --unpack "$VFLEET_DEB" "$AGENT_DEB" >/dev/null || exit 10
            for b in /usr/bin/vfleet /usr/bin/vfleet-agent; do
                for so in $(readelf -d "$b" | sed -n 's/.*(NEEDED).*\\[\\(.*\\)\\]/\\1/p'); do
                    path=$(ldd "$b" | awk -v so="$so" '$1 == so { print $3; exit } substr($1, length($1) - length(so)) == "/" so { print $1; exit }')
                    echo "$b ${path:-not-found:$so}"
                done
            done
            """, in: scratch, env: ["VFLEET_DEB": debs.vfleet, "AGENT_DEB": debs.agent])
        try #require(r.status == 0, "unpack: \(r.out)\(r.err)")
        let loaded = r.out.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }.filter { $0.count == 2 }
        #expect(loaded.count >= 4, "\(r.out)")
        for pair in loaded {
            let deb = pair[0].hasSuffix("/vfleet") ? debs.vfleet : debs.agent
            let package = try #require(try Self.owner(of: pair[1]), "no package owns \(pair[1])")
            let depends = try Self.field(deb, "Depends").split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) ?? "" }
            #expect(depends.contains(package), "\(pair[0]) loads \(pair[1]) from \(package), which \(deb) does not depend on: \(depends)")
        }
    }

    @Test(.timeLimit(.minutes(30)))
    func bothPackagesInstallRunAndPurgeLeavingOnlyTheStateDirectories() async throws {
        let debs = try await BuiltPackages.debs()
        let realStatus = try Data(contentsOf: URL(fileURLWithPath: "/var/lib/dpkg/status"))
        let scratch = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }

        let started = Date()
        let r = try ScratchSystem.run("""
            echo "== install"
            dpkg -i "$VFLEET_DEB" "$AGENT_DEB" > "$SCRATCH/install.out" 2>&1; echo "install-status=$?"
            dpkg-query -W -f='${Package} ${db:Status-Status}\\n' vfleet vfleet-agent | sed 's/^/state-installed: /'
            dpkg -L vfleet vfleet-agent | sort -u > "$SCRATCH/installed-files"
            /usr/bin/vfleet-agent check > "$SCRATCH/check.out" 2>&1; echo "agent-check-status=$?"
            /usr/bin/vfleet --version | sed 's/^/vfleet-version: /'
            /usr/bin/vfleet key generate --db "$SCRATCH/controller/fleet.db" 2>&1 | grep -o 'command="[^"]*"' | sed 's/^/forced-command: /'
            systemd-analyze verify /lib/systemd/system/vfleet-agent.service > "$SCRATCH/verify.out" 2>&1; echo "verify-status=$?"
            [ -L /etc/systemd/system/multi-user.target.wants/vfleet-agent.service ] && echo "unit-enabled"
            systemd-analyze verify /lib/systemd/system/vfleet-serve.service > "$SCRATCH/verify-serve.out" 2>&1; echo "verify-serve-status=$?"
            [ -e /etc/systemd/system/multi-user.target.wants/vfleet-serve.service ] && echo "serve-enabled"
            echo "== purge"
            dpkg --purge vfleet vfleet-agent > "$SCRATCH/purge.out" 2>&1; echo "purge-status=$?"
            dpkg-query -W -f='${Package} ${db:Status-Status}\\n' vfleet vfleet-agent 2>/dev/null | sed 's/^/state-purged: /'
            while read -r f; do
                if [ -e "$f" ] && [ ! -d "$f" ]; then echo "left: $f"; fi
            done < "$SCRATCH/installed-files"
            [ -e /etc/systemd/system/multi-user.target.wants/vfleet-agent.service ] && echo "left: the unit's enablement"
            [ -e /etc/systemd/system/vfleet-serve.service ] && echo "left: vfleet-serve.service masked"
            ls /var/lib/systemd/deb-systemd-helper-enabled 2>/dev/null | grep vfleet | sed 's/^/left: enablement state /'
            [ -d /var/lib/vfleet ] && echo "kept: /var/lib/vfleet"
            [ -d /var/lib/vfleet-controller ] && echo "kept: /var/lib/vfleet-controller"
            true
            """, in: scratch, env: ["VFLEET_DEB": debs.vfleet, "AGENT_DEB": debs.agent])
        let seconds = Date().timeIntervalSince(started)
        let read = { (name: String) in (try? String(contentsOfFile: scratch + "/" + name, encoding: .utf8)) ?? "" }
        let lines = Set(r.out.split(separator: "\n").map(String.init))
        try #require(r.status == 0, "\(r.out)\(r.err)")

        try #require(lines.contains("install-status=0"), "dpkg -i without --force-depends:\n\(read("install.out"))")
        #expect(lines.contains("state-installed: vfleet installed"))
        #expect(lines.contains("state-installed: vfleet-agent installed"))
        #expect(lines.contains("agent-check-status=0"), "vfleet-agent check from /usr/bin:\n\(read("check.out"))")
        #expect(lines.contains("vfleet-version: " + (try Self.field(debs.vfleet, "Version")).replacingOccurrences(of: "-1", with: "")))
        // The packaged controller's authorized_keys line names the packaged agent.
        #expect(lines.contains("forced-command: command=\"/usr/bin/vfleet-agent rpc\""), "\(r.out)")
        #expect(lines.contains("verify-status=0"), "systemd-analyze verify:\n\(read("verify.out"))")
        #expect(!read("verify.out").contains("vfleet-agent.service:"), "systemd-analyze verify warns:\n\(read("verify.out"))")
        #expect(lines.contains("unit-enabled"), "the package enables vfleet-agent.service (its stop action only runs for an active unit)")
        #expect(lines.contains("verify-serve-status=0"), "systemd-analyze verify:\n\(read("verify-serve.out"))")
        #expect(!read("verify-serve.out").contains("vfleet-serve.service:"), "systemd-analyze verify warns:\n\(read("verify-serve.out"))")
        #expect(!lines.contains("serve-enabled"), "vfleet-serve.service is left for the operator to enable")

        #expect(lines.contains("purge-status=0"), "\(read("purge.out"))")
        #expect(!r.out.contains("state-purged: vfleet installed") && !r.out.contains("state-purged: vfleet-agent installed"))
        #expect(!r.out.contains("left: "), "dpkg --purge left files behind:\n\(r.out)")
        #expect(lines.contains("kept: /var/lib/vfleet"))
        #expect(lines.contains("kept: /var/lib/vfleet-controller"))
        let purge = read("purge.out")
        #expect(purge.contains("vfleet-agent: /var/lib/vfleet (guests, templates, agent.json) is kept"), "\(purge)")
        #expect(purge.contains("vfleet: /var/lib/vfleet-controller (the fleet's store"), "\(purge)")

        // Nothing but directories is left in the overlays' /usr and /etc.
        for top in ["usr", "etc"] {
            let left = try DeployShell.run(["/usr/bin/find", ScratchSystem.upper(scratch, top), "-not", "-type", "d"]).out
            #expect(left.isEmpty, "purge left in /\(top): \(left)")
        }
        // And the machine's own dpkg database never saw any of it.
        #expect(try Data(contentsOf: URL(fileURLWithPath: "/var/lib/dpkg/status")) == realStatus)
        #expect(!FileManager.default.fileExists(atPath: "/usr/bin/vfleet-agent"))
        print("package install/check/verify/purge: \(String(format: "%.1f", seconds)) s; scripts/package: \(String(format: "%.1f", debs.seconds)) s")
    }

    static func field(_ deb: String, _ name: String) throws -> String {
        try DeployShell.run(["/usr/bin/dpkg-deb", "--field", deb, name]).out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The package that owns a loaded library. dpkg knows a file by the
    /// path it unpacked, which may be either side of Debian 12's
    /// /lib -> usr/lib symlink, and a soname is often a symlink itself.
    static func owner(of library: String) throws -> String? {
        let resolved = (library as NSString).resolvingSymlinksInPath
        var candidates: [String] = []
        for p in [library, resolved] {
            candidates.append(p)
            if p.hasPrefix("/usr/") { candidates.append(String(p.dropFirst(4))) } else { candidates.append("/usr" + p) }
        }
        for c in candidates {
            let r = try DeployShell.run(["/usr/bin/dpkg", "-S", c])
            if r.status == 0, let package = r.out.split(separator: ":").first { return String(package) }
        }
        return nil
    }

    static func scratchDirectory() throws -> String {
        let dir = "/tmp/vfleet-scratch-system-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}
