import FleetAgent
import FleetKernel
import FleetProtocol
import FleetTree
import Foundation
import Testing

extension AgentIntegration {
    /// Every test runs twice: a guest in the host's user namespace with
    /// VServer's secure bound, and a guest in a user namespace of its own
    /// holding CAP_SYS_ADMIN (and the rest systemd wants) inside it.
    @Suite struct Isolation {
        @Test(arguments: [false, true]) func guestSeesOnlyItsOwnProcessesAndInitIsPidOne(userns: Bool) throws {
            try withTestAgent { t in
                try t.makeGuest("iso1", userns: userns)
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

        @Test(arguments: [false, true]) func rootIsItsOwnTreeAndTheHostIsNotReachable(userns: Bool) throws {
            try withTestAgent { t in
                let marker = "/var/tmp/vfleet-host-marker-\(UUID().uuidString)"
                #expect(FileManager.default.createFile(atPath: marker, contents: Data("host".utf8)))
                defer { try? FileManager.default.removeItem(atPath: marker) }
                try t.makeGuest("iso2", userns: userns)
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

        @Test(arguments: [false, true]) func privilegedOperationsFail(userns: Bool) throws {
            try withTestAgent { t in
                try t.makeGuest("iso3", userns: userns)
                // Without CONFIG_MODULES the kernel refuses every module; the
                // bound (checked elsewhere) lacks CAP_SYS_MODULE either way.
                let modules = FileManager.default.fileExists(atPath: "/proc/modules")
                // Kernels without CONFIG_MAGIC_SYSRQ have no trigger file: writing it fails all the same.
                let sysrq = FileManager.default.fileExists(atPath: "/proc/sysrq-trigger")
                // With a user namespace, mounting a tmpfs in the guest's own
                // mount namespace is allowed (systemd does it); a host file
                // system is not.
                let mount = userns ? ("host file system", "head -c 2097152 /dev/zero > /tmp/img; mount -t ext4 /tmp/img /mnt",
                                      ["not permitted", "permission denied"])
                                   : ("mount", "mount -t tmpfs none /mnt", ["not permitted", "permission denied"])
                var checks: [(String, String, [String])] = [
                    mount,
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
                if userns {
                    // CAP_SYS_ADMIN inside may lift the read-only mounts it
                    // was given; the files still belong to the host's root.
                    checks += [
                        ("proc/sys remounted", "mount -o remount,rw /proc/sys; v=$(cat /proc/sys/vm/overcommit_memory); echo $v > /proc/sys/vm/overcommit_memory",
                         ["permission denied", "read-only"]),
                        ("sysfs remounted", "mount -o remount,bind,rw /sys; echo 1 > /sys/kernel/uevent_helper", ["permission denied", "read-only"]),
                        ("host block device", "mknod /tmp/vda b 253 0 || mknod /tmp/sda b 8 0", ["not permitted"]),
                    ]
                }
                for (what, command, reasons) in checks {
                    let r = try t.run("iso3", "{ \(command); } 2>&1")
                    #expect(r.exitCode != 0, "\(what) succeeded inside a guest: \(r.stdout)")
                    let said = r.stdout.lowercased()
                    #expect(reasons.contains { said.contains($0) }, "\(what) failed for another reason: \(r.stdout)")
                }
                let bound = try t.run("iso3", "grep CapBnd /proc/self/status").stdout
                let bits = UInt64(bound.split(separator: "\t").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "", radix: 16) ?? ~0
                let absent = userns ? ["SYS_MODULE", "SYS_TIME", "NET_RAW", "SYS_RAWIO", "NET_ADMIN"]
                                    : ["SYS_MODULE", "SYS_TIME", "SYS_ADMIN", "MKNOD", "NET_RAW", "SYS_BOOT", "SYS_RAWIO"]
                for cap in absent {
                    #expect(bits & (1 << UInt64(try Capabilities.number(of: cap))) == 0, "\(cap) is in the bound")
                }
                if userns {
                    // All of the above held with CAP_SYS_ADMIN in effect inside.
                    let effective = try t.run("iso3", "grep CapEff /proc/self/status").stdout
                    let eff = UInt64(effective.split(separator: "\t").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "", radix: 16) ?? 0
                    #expect(eff & (1 << UInt64(try Capabilities.number(of: "SYS_ADMIN"))) != 0)
                }
            }
        }

        @Test(arguments: [false, true]) func hostnameChangeStaysInside(userns: Bool) throws {
            try withTestAgent { t in
                let before = Self.hostname()
                try t.makeGuest("iso4", capAdd: ["SYS_ADMIN"], userns: userns)
                let r = try t.run("iso4", "hostname; hostname changed-inside && hostname")
                #expect(r.exitCode == 0, "\(r.stderr)")
                #expect(r.stdout == "iso4\nchanged-inside\n")
                #expect(Self.hostname() == before)
                // Without SYS_ADMIN (the default bound) it is refused outright;
                // with a user namespace the default bound has it, for the
                // guest's own UTS namespace only.
                try t.makeGuest("iso4b", userns: userns)
                #expect(try t.run("iso4b", "hostname nope").exitCode != 0 || userns)
                #expect(Self.hostname() == before)
            }
        }

        static func hostname() -> String {
            var buf = [UInt8](repeating: 0, count: 256)
            buf.withUnsafeMutableBufferPointer { p in p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: 256) { _ = gethostname($0, 255) } }
            return String(decoding: buf.prefix { $0 != 0 }, as: UTF8.self)
        }

        @Test(arguments: [false, true]) func writesStayInTheGuestsOwnLayer(userns: Bool) throws {
            try withTestAgent { t in
                let before = try TreeDigester.digest(root: t.agent.paths.templateRootfs(TestAgent.template)).digest
                try t.makeGuest("wa", userns: userns)
                try t.makeGuest("wb", userns: userns)
                let w = try t.run("wa", "echo from-a > /etc/motd && echo x >> /etc/passwd && rm /bin/ls && cat /etc/motd")
                #expect(w.stdout == "from-a\n")
                let b = try t.run("wb", "cat /etc/motd 2>&1; grep -c x /etc/passwd; test -e /bin/ls && echo has-ls")
                #expect(b.stdout.contains("No such file"))
                #expect(b.stdout.contains("has-ls"))
                let after = try TreeDigester.digest(root: t.agent.paths.templateRootfs(TestAgent.template)).digest
                #expect(before == after)
                #expect(FileManager.default.fileExists(atPath: t.agent.paths.guestUpper("wa") + "/etc/motd"))
                // What a user namespace guest writes belongs on the host to its mapped ids.
                var st = stat()
                #expect(stat(t.agent.paths.guestUpper("wa") + "/etc/motd", &st) == 0)
                let owner = try t.agent.status("wa").hostIDs.flatMap { $0.split(separator: "-").first.flatMap { UInt32($0) } } ?? 0
                #expect(st.st_uid == owner && st.st_gid == owner)
                #expect((owner != 0) == userns)
                #expect(!FileManager.default.fileExists(atPath: t.agent.paths.guestUpper("wb") + "/etc/motd"))
            }
        }

        @Test(arguments: [false, true]) func boundingSetIsTheConfiguredOne(userns: Bool) throws {
            try withTestAgent { t in
                try t.makeGuest("caps1", userns: userns)
                try t.makeGuest("caps2", capAdd: ["NET_ADMIN"], capDrop: ["CHOWN", "SYS_PTRACE"], userns: userns)
                let base = userns ? Capabilities.vserverSecure.union(try CapabilitySet(names: Agent.userNamespaceExtras))
                                  : Capabilities.vserverSecure
                for (guest, expected) in [
                    ("caps1", base),
                    ("caps2", base.union(try CapabilitySet(names: ["NET_ADMIN"])).subtracting(try CapabilitySet(names: ["CHOWN", "SYS_PTRACE"]))),
                ] {
                    for script in ["grep CapBnd /proc/self/status", "grep CapBnd /proc/1/status"] {
                        let r = try t.run(guest, script)
                        let hex = r.stdout.split(whereSeparator: { $0 == "\t" || $0 == "\n" || $0 == " " }).last.map(String.init) ?? ""
                        #expect(UInt64(hex, radix: 16) == expected.bits, "\(guest): \(r.stdout)")
                    }
                }
            }
        }

        @Test(arguments: [false, true]) func guestMountsNeverAppearOnTheHost(userns: Bool) throws {
            try withTestAgent { t in
                try t.makeGuest("mnt1", userns: userns)
                let rootfs = t.agent.paths.guestRootfs("mnt1")
                let running = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
                #expect(!running.contains(rootfs))
                _ = try t.agent.stop("mnt1", timeout: 2)
                let stopped = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
                #expect(!stopped.contains(rootfs))
            }
        }

        @Test(arguments: [false, true]) func noNetworkMeansLoopbackOnly(userns: Bool) throws {
            try withTestAgent { t in
                try t.makeGuest("net0", network: .none, userns: userns)
                let r = try t.run("net0", "ls /sys/class/net | tr '\\n' ' '")
                #expect(r.stdout.trimmingCharacters(in: .whitespaces) == "lo")
            }
        }
    }
}
