@testable import FleetKernel
import FleetTestSupport
import Foundation
import Testing

/// The v2 code against a cgroup directory tree made in a temporary
/// directory: the mount point is a parameter, so no real cgroup2 is needed.
@Suite(.tags(.root)) struct CgroupV2TreeTests {
    /// A fake cgroup2 root with the files the kernel would show.
    struct FakeV2: ~Copyable {
        let root: String
        let layout: CgroupLayout

        init(controllers: [String] = ["cpu", "io", "memory", "pids"], guestFiles: [String]) throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("vfleet-cg2-\(UUID().uuidString)").path
            let guest = root + "/vfleet/web1"
            try FileManager.default.createDirectory(atPath: guest, withIntermediateDirectories: true)
            try (controllers.joined(separator: " ") + "\n").write(toFile: root + "/cgroup.controllers", atomically: false, encoding: .utf8)
            for dir in [root, root + "/vfleet"] {
                try "".write(toFile: dir + "/cgroup.subtree_control", atomically: false, encoding: .utf8)
            }
            for f in guestFiles { try "".write(toFile: guest + "/" + f, atomically: false, encoding: .utf8) }
            layout = CgroupLayout(hierarchies: [CgroupHierarchy(mountPoint: root, version: 2, controllers: controllers)])
        }

        func read(_ rel: String) -> String { (try? String(contentsOfFile: root + "/" + rel, encoding: .utf8)) ?? "<missing>" }

        deinit { try? FileManager.default.removeItem(atPath: root) }
    }

    @Test func limitsAreWrittenInV2Syntax() throws {
        let fake = try FakeV2(guestFiles: ["memory.max", "memory.swap.max", "cpu.max", "cpu.weight", "pids.max", "io.weight", "cgroup.procs"])
        let cg = GuestCgroup(layout: fake.layout, guest: "web1")
        let limits = CgroupLimits(memoryBytes: 256 << 20, cpuMillis: 1500, cpuWeight: 200, pids: 512, ioWeight: 300)
        try cg.create(for: limits)
        let warnings = try cg.apply(limits)
        #expect(warnings.isEmpty)
        #expect(fake.read("vfleet/web1/memory.max") == "268435456")
        #expect(fake.read("vfleet/web1/memory.swap.max") == "0")
        #expect(fake.read("vfleet/web1/cpu.max") == "150000 100000")
        #expect(fake.read("vfleet/web1/cpu.weight") == "200")
        #expect(fake.read("vfleet/web1/pids.max") == "512")
        #expect(fake.read("vfleet/web1/io.weight") == "default 300")
        // Controllers are enabled from the root down to the guest's parent.
        #expect(fake.read("cgroup.subtree_control").contains("+memory"))
        #expect(fake.read("cgroup.subtree_control").contains("+io"))
        #expect(fake.read("vfleet/cgroup.subtree_control").contains("+pids"))
        #expect(cg.procsFiles == [fake.root + "/vfleet/web1/cgroup.procs"])
    }

    @Test func missingIoSupportIsAWarningNotAFailure() throws {
        let fake = try FakeV2(controllers: ["cpu", "memory", "pids"], guestFiles: ["memory.max"])
        let cg = GuestCgroup(layout: fake.layout, guest: "web1")
        let warnings = try cg.apply(CgroupLimits(ioWeight: 50))
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("io weight 50 not applied") == true)
    }

    @Test func aMissingMemoryControllerIsRefusedWithAReason() throws {
        let fake = try FakeV2(controllers: ["cpu", "pids"], guestFiles: [])
        let cg = GuestCgroup(layout: fake.layout, guest: "web1")
        do {
            try cg.apply(CgroupLimits(memoryBytes: 64 << 20))
            Issue.record("applied a memory limit without a memory controller")
        } catch {
            #expect(error.description.contains("memory"))
            #expect(error.hint?.contains("not available") == true || error.hint?.contains("no memory") == true)
        }
    }

    @Test func usageAndProcessesAreRead() throws {
        let fake = try FakeV2(guestFiles: [])
        let guest = fake.root + "/vfleet/web1"
        try "41943040\n".write(toFile: guest + "/memory.current", atomically: false, encoding: .utf8)
        try "usage_usec 2500000\nuser_usec 2000000\n".write(toFile: guest + "/cpu.stat", atomically: false, encoding: .utf8)
        try "101\n102\n".write(toFile: guest + "/cgroup.procs", atomically: false, encoding: .utf8)
        // An init such as systemd makes child cgroups; their processes count too.
        try FileManager.default.createDirectory(atPath: guest + "/init.scope", withIntermediateDirectories: true)
        try "103\n".write(toFile: guest + "/init.scope/cgroup.procs", atomically: false, encoding: .utf8)
        let cg = GuestCgroup(layout: fake.layout, guest: "web1")
        #expect(cg.processes().sorted() == [101, 102, 103])
        let usage = cg.usage()
        #expect(usage.memoryBytes == 41_943_040)
        #expect(usage.cpuNanos == 2_500_000_000)
        #expect(usage.processes == 3)
    }
}
