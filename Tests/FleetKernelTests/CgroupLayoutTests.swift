@testable import FleetKernel
import FleetTestSupport
import Testing

@Suite(.tags(.unit)) struct CgroupLayoutTests {
    static let hybrid = """
    30 24 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:4 - tmpfs tmpfs ro,mode=755
    31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:5 - cgroup2 cgroup2 rw,nsdelegate
    32 30 0:28 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:6 - cgroup cgroup rw,xattr,name=systemd
    35 30 0:31 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,memory
    36 30 0:32 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,cpu,cpuacct
    37 30 0:33 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,pids
    38 30 0:34 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,cpuset
    39 30 0:34 / /mnt/again rw,relatime shared:12 - cgroup cgroup rw,cpuset
    """

    @Test func hybridHost() {
        let layout = CgroupLayout.parse(mountinfo: Self.hybrid) { _ in [] }
        #expect(layout.mode == .hybrid)
        #expect(layout.hierarchy(for: "memory")?.mountPoint == "/sys/fs/cgroup/memory")
        #expect(layout.hierarchy(for: "cpuacct")?.mountPoint == "/sys/fs/cgroup/cpu,cpuacct")
        #expect(layout.hierarchy(for: "pids")?.version == 1)
        #expect(layout.unified?.mountPoint == "/sys/fs/cgroup/unified")
        // The v2 hierarchy tracks every process, so it is the one to list processes from.
        #expect(layout.primary?.version == 2)
        // cpuset needs seeding and is left alone.
        #expect(!layout.hierarchies.contains { $0.controllers.contains("cpuset") })
        #expect(layout.hierarchies.contains { $0.controllers == ["name=systemd"] })
    }

    @Test func pureV2Host() {
        let text = "30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate"
        let layout = CgroupLayout.parse(mountinfo: text) { _ in ["cpuset", "cpu", "io", "memory", "pids"] }
        #expect(layout.mode == .v2)
        #expect(layout.hierarchy(for: "memory")?.mountPoint == "/sys/fs/cgroup")
        #expect(layout.hierarchy(for: "io")?.version == 2)
    }

    @Test func pureV1Host() {
        let text = Self.hybrid.split(separator: "\n").filter { !$0.contains("cgroup2") }.joined(separator: "\n")
        let layout = CgroupLayout.parse(mountinfo: text) { _ in [] }
        #expect(layout.mode == .v1)
        #expect(layout.primary?.controllers == ["pids"])
    }

    @Test func escapedMountPoints() {
        #expect(CgroupLayout.unescape(#"/a\040b"#) == "/a b")
        #expect(CgroupLayout.unescape("/plain") == "/plain")
    }

    @Test func thisHostIsDetected() throws {
        let layout = try CgroupLayout.detect()
        #expect(!layout.hierarchies.isEmpty)
    }
}
