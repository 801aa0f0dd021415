import FleetAgent
import FleetKernel
import FleetProtocol
import FleetTree
import Foundation
import Testing

extension AgentIntegration {
    @Suite struct Isolation {
        @Test func guestSeesOnlyItsOwnProcessesAndInitIsPidOne() throws {
            try withTestAgent { t in
                try t.makeGuest("iso1")
                let r = try t.run("iso1", "cat /proc/1/cmdline | tr '\\0' ' '; echo; ls /proc | grep -E '^[0-9]+$' | sort -n | tr '\\n' ' '")
                #expect(r.exitCode == 0)
                let lines = r.stdout.split(separator: "\n")
                #expect(lines.first?.contains("/sbin/init") == true)
                let pids = lines.dropFirst().first?.split(separator: " ").compactMap { Int($0) } ?? []
                // init, the sleep it waits on, our sh, ls, grep, sort, tr: a handful, all small.
                #expect(pids.first == 1)
                #expect(pids.count < 12)
                // The host's own pid is not among them.
                #expect(!pids.contains(Int(getpid())) || getpid() < 12)
            }
        }

        @Test func rootIsItsOwnTreeAndTheHostIsNotReachable() throws {
            try withTestAgent { t in
                let marker = "/var/tmp/vfleet-host-marker-\(UUID().uuidString)"
                #expect(FileManager.default.createFile(atPath: marker, contents: Data("host".utf8)))
                defer { try? FileManager.default.removeItem(atPath: marker) }
                try t.makeGuest("iso2")
                let r = try t.run("iso2", """
                    test -e \(marker) && echo REACHED-DIRECT
                    test -e /../../..\(marker) && echo REACHED-DOTDOT
                    test -e /proc/1/root\(marker) && echo REACHED-PROC1
                    test -e /proc/self/root\(marker) && echo REACHED-PROCSELF
                    cd /; cd ..; cd ..; pwd; ls / | tr '\\n' ' '
                    """)
                #expect(!r.stdout.contains("REACHED"))
                #expect(r.stdout.contains("bin"))
                // The host's root has /work (this checkout) or /var/tmp/vfleet-test-…; the guest's has neither.
                #expect(!r.stdout.contains("vfleet-test-"))
                #expect(r.stdout.hasPrefix("/\n"))
            }
        }

        @Test func privilegedOperationsFail() throws {
            try withTestAgent { t in
                try t.makeGuest("iso3")
                // Without CONFIG_MODULES the kernel refuses every module; the
                // bound (checked elsewhere) lacks CAP_SYS_MODULE either way.
                let modules = FileManager.default.fileExists(atPath: "/proc/modules")
                // Kernels without CONFIG_MAGIC_SYSRQ have no trigger file: writing it fails all the same.
                let sysrq = FileManager.default.fileExists(atPath: "/proc/sysrq-trigger")
                let checks: [(String, String, [String])] = [
                    ("mount", "mount -t tmpfs none /mnt", ["not permitted", "permission denied"]),
                    ("mknod", "mknod /tmp/sda b 8 0", ["not permitted"]),
                    ("module", "head -c 64 /dev/zero > /tmp/x.ko; insmod /tmp/x.ko", modules ? ["not permitted"] : ["not permitted", "not support"]),
                    ("raw socket", "arping -c 1 -w 1 -I lo 127.0.0.1", ["not permitted"]),
                    ("sysrq", "echo h > /proc/sysrq-trigger", sysrq ? ["read-only"] : ["read-only", "nonexistent"]),
                    // Writes back the current value: harmless even if it got through.
                    ("proc/sys", "v=$(cat /proc/sys/vm/overcommit_memory); echo $v > /proc/sys/vm/overcommit_memory", ["read-only"]),
                    // busybox date reports the refusal but exits 0: the message is the proof.
                    ("clock", "date -s \"$(date '+%Y-%m-%d %H:%M:%S')\" && false", ["not permitted"]),
                    ("sysfs", "echo 1 > /sys/kernel/uevent_helper", ["read-only"]),
                ]
                for (what, command, reasons) in checks {
                    let r = try t.run("iso3", "{ \(command); } 2>&1")
                    #expect(r.exitCode != 0, "\(what) succeeded inside a guest: \(r.stdout)")
                    let said = r.stdout.lowercased()
                    #expect(reasons.contains { said.contains($0) }, "\(what) failed for another reason: \(r.stdout)")
                }
                let bound = try t.run("iso3", "grep CapBnd /proc/self/status").stdout
                let bits = UInt64(bound.split(separator: "\t").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "", radix: 16) ?? ~0
                for cap in ["SYS_MODULE", "SYS_TIME", "SYS_ADMIN", "MKNOD", "NET_RAW", "SYS_BOOT", "SYS_RAWIO"] {
                    #expect(bits & (1 << UInt64(try Capabilities.number(of: cap))) == 0, "\(cap) is in the bound")
                }
            }
        }

        @Test func hostnameChangeStaysInside() throws {
            try withTestAgent { t in
                let before = Self.hostname()
                try t.makeGuest("iso4", capAdd: ["SYS_ADMIN"])
                let r = try t.run("iso4", "hostname; hostname changed-inside && hostname")
                #expect(r.exitCode == 0, "\(r.stderr)")
                #expect(r.stdout == "iso4\nchanged-inside\n")
                #expect(Self.hostname() == before)
                // Without SYS_ADMIN (the default bound) it is refused outright.
                try t.makeGuest("iso4b")
                #expect(try t.run("iso4b", "hostname nope").exitCode != 0)
            }
        }

        static func hostname() -> String {
            var buf = [UInt8](repeating: 0, count: 256)
            buf.withUnsafeMutableBufferPointer { p in p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: 256) { _ = gethostname($0, 255) } }
            return String(decoding: buf.prefix { $0 != 0 }, as: UTF8.self)
        }

        @Test func writesStayInTheGuestsOwnLayer() throws {
            try withTestAgent { t in
                let before = try TreeDigester.digest(root: t.agent.paths.templateRootfs(TestAgent.template)).digest
                try t.makeGuest("wa")
                try t.makeGuest("wb")
                let w = try t.run("wa", "echo from-a > /etc/motd && echo x >> /etc/passwd && rm /bin/ls && cat /etc/motd")
                #expect(w.stdout == "from-a\n")
                let b = try t.run("wb", "cat /etc/motd 2>&1; grep -c x /etc/passwd; test -e /bin/ls && echo has-ls")
                #expect(b.stdout.contains("No such file"))
                #expect(b.stdout.contains("has-ls"))
                let after = try TreeDigester.digest(root: t.agent.paths.templateRootfs(TestAgent.template)).digest
                #expect(before == after)
                #expect(FileManager.default.fileExists(atPath: t.agent.paths.guestUpper("wa") + "/etc/motd"))
                #expect(!FileManager.default.fileExists(atPath: t.agent.paths.guestUpper("wb") + "/etc/motd"))
            }
        }

        @Test func boundingSetIsTheConfiguredOne() throws {
            try withTestAgent { t in
                try t.makeGuest("caps1")
                try t.makeGuest("caps2", capAdd: ["NET_ADMIN"], capDrop: ["CHOWN", "SYS_PTRACE"])
                for (guest, expected) in [
                    ("caps1", Capabilities.vserverSecure),
                    ("caps2", Capabilities.vserverSecure.union(try CapabilitySet(names: ["NET_ADMIN"])).subtracting(try CapabilitySet(names: ["CHOWN", "SYS_PTRACE"]))),
                ] {
                    for script in ["grep CapBnd /proc/self/status", "grep CapBnd /proc/1/status"] {
                        let r = try t.run(guest, script)
                        let hex = r.stdout.split(whereSeparator: { $0 == "\t" || $0 == "\n" || $0 == " " }).last.map(String.init) ?? ""
                        #expect(UInt64(hex, radix: 16) == expected.bits, "\(guest): \(r.stdout)")
                    }
                }
            }
        }

        @Test func guestMountsNeverAppearOnTheHost() throws {
            try withTestAgent { t in
                try t.makeGuest("mnt1")
                let rootfs = t.agent.paths.guestRootfs("mnt1")
                let running = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
                #expect(!running.contains(rootfs))
                _ = try t.agent.stop("mnt1", timeout: 2)
                let stopped = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
                #expect(!stopped.contains(rootfs))
            }
        }

        @Test func noNetworkMeansLoopbackOnly() throws {
            try withTestAgent { t in
                try t.makeGuest("net0", network: .none)
                let r = try t.run("net0", "ls /sys/class/net | tr '\\n' ' '")
                #expect(r.stdout.trimmingCharacters(in: .whitespaces) == "lo")
            }
        }
    }
}
