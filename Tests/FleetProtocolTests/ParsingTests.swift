import FleetProtocol
import FleetTestSupport
import Testing

@Suite(.tags(.unit)) struct ByteSizeTests {
    static let cases: [(String, UInt64)] = [
        ("512", 512), ("4M", 4 << 20), ("256M", 256 << 20), ("256m", 256 << 20), ("1G", 1 << 30),
        ("1.5G", 3 << 29), ("64K", 64 << 10), ("2T", 2 << 40), ("256MiB", 256 << 20), ("256MB", 256 << 20), (" 8M ", 8 << 20),
    ]

    @Test func parses() {
        for (text, bytes) in Self.cases {
            #expect(ByteSize.parse(text) == bytes, "\(text)")
        }
    }

    @Test(arguments: ["", "M", "abc", "12X", "-5M", "1..5M", "1e3", "M5"])
    func refusesGarbage(_ text: String) {
        #expect(ByteSize.parse(text) == nil)
    }

    @Test func formats() {
        #expect(ByteSize.format(256 << 20) == "256M")
        #expect(ByteSize.format(512) == "512")
        #expect(ByteSize.format(1536 << 20) == "1.5G")
    }
}

@Suite(.tags(.unit)) struct LimitsTests {
    @Test func memoryBelowFourMegabytesIsRefused() {
        let limits = GuestLimits(memoryBytes: 3 << 20)
        #expect(throws: FleetError.self) { try limits.validate() }
        do { try limits.validate() } catch { #expect(error.message.contains("below the minimum of 4M")) }
        #expect(throws: Never.self) { try GuestLimits(memoryBytes: 4 << 20).validate() }
    }

    @Test func rangesAreChecked() {
        #expect(throws: FleetError.self) { try GuestLimits(cpuMillis: 5).validate() }
        #expect(throws: FleetError.self) { try GuestLimits(cpuWeight: 0).validate() }
        #expect(throws: FleetError.self) { try GuestLimits(cpuWeight: 10001).validate() }
        #expect(throws: FleetError.self) { try GuestLimits(pids: 0).validate() }
        #expect(throws: FleetError.self) { try GuestLimits(ioWeight: 0).validate() }
        #expect(throws: Never.self) { try GuestLimits(memoryBytes: 1 << 30, cpuMillis: 1500, cpuWeight: 100, pids: 512, ioWeight: 200).validate() }
    }

    @Test func cpus() {
        #expect(GuestLimits.parseCPUs("1.5") == 1500)
        #expect(GuestLimits.parseCPUs("0.5") == 500)
        #expect(GuestLimits.parseCPUs("x") == nil)
        #expect(GuestLimits.parseCPUs("-1") == nil)
    }
}

@Suite(.tags(.unit)) struct DurationAndSignalTests {
    @Test func durations() {
        #expect(DurationText.seconds("10s") == 10)
        #expect(DurationText.seconds("500ms") == 0.5)
        #expect(DurationText.seconds("2m") == 120)
        #expect(DurationText.seconds("1h") == 3600)
        #expect(DurationText.seconds("90d") == 7_776_000)
        #expect(DurationText.seconds("7") == 7)
        #expect(DurationText.seconds("soon") == nil)
        #expect(DurationText.seconds("-1s") == nil)
    }

    @Test func signals() {
        #expect(SignalName.number("TERM") == 15)
        #expect(SignalName.number("SIGPWR") == 30)
        #expect(SignalName.number("RTMIN+3") == 37)
        #expect(SignalName.number("9") == 9)
        #expect(SignalName.number("NOPE") == nil)
        #expect(InitStyle.systemd.stopSignal == 37)
        #expect(InitStyle.sysv.stopSignal == 30)
        #expect(InitStyle.plain.stopSignal == 15)
    }
}

@Suite(.tags(.unit)) struct ShellWordsTests {
    @Test func splits() throws {
        #expect(try ShellWords.split("/sbin/init") == ["/sbin/init"])
        #expect(try ShellWords.split("/bin/sh -c 'sleep 100; echo hi'") == ["/bin/sh", "-c", "sleep 100; echo hi"])
        #expect(try ShellWords.split(#"a "b c" d\ e"#) == ["a", "b c", "d e"])
        #expect(try ShellWords.split("  a   b ") == ["a", "b"])
        #expect(try ShellWords.split("''") == [""])
    }

    @Test func refusesUnterminated() {
        #expect(throws: FleetError.self) { try ShellWords.split("a 'b") }
        #expect(throws: FleetError.self) { try ShellWords.split("a \\") }
    }

    @Test func joinRoundTrips() throws {
        let words = ["/bin/sh", "-c", "echo 'x' y", ""]
        #expect(try ShellWords.split(ShellWords.join(words)) == words)
    }
}

@Suite(.tags(.unit)) struct GuestSpecTests {
    @Test func validSpec() throws {
        try GuestSpec(name: "web1", template: "busybox", initCommand: ["/sbin/init"]).validate()
    }

    @Test func refusesRelativeInit() {
        #expect(throws: FleetError.self) { try GuestSpec(name: "web1", template: "t", initCommand: ["sbin/init"]).validate() }
    }

    @Test func refusesBadTemplateName() {
        #expect(throws: FleetError.self) { try GuestSpec(name: "web1", template: "../t").validate() }
    }
}
