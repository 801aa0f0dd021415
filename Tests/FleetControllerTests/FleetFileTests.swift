@testable import FleetController
import FleetProtocol
import FleetTestSupport
import Testing

@Suite(.tags(.unit)) struct FleetFileTests {
    @Test func parsesGuests() throws {
        let f = try FleetFile.parse("""
        guests:
          - name: web1
            template: busybox
            memory: 64M
            cpus: 0.5
            pids: 100
            disk: 2G
            group: web
            require: {zone: eu}
            state: stopped
          - name: db1
            template: busybox
            host: h2
        """)
        #expect(f.guests.count == 2)
        let w = f.guests[0].request
        #expect(w.spec.limits.memoryBytes == 64 << 20)
        #expect(w.spec.limits.cpuMillis == 500)
        #expect(w.spec.limits.pids == 100)
        #expect(w.diskBytes == 2 << 30)
        #expect(w.spec.limits.diskBytes == 2 << 30)
        #expect(w.group == "web")
        #expect(w.requires == ["zone": "eu"])
        #expect(w.desiredState == .stopped)
        #expect(f.guests[1].request.host == "h2")
        #expect(f.guests[1].request.desiredState == .running)
    }

    /// The seccomp rules a guest gets back travel to its host with its spec.
    @Test func allowSyscallIsAListOfRuleNames() throws {
        let f = try FleetFile.parse("""
        guests:
          - name: web1
            template: busybox
            allow-syscall: [keyctl, userns]
          - name: web2
            template: busybox
        """)
        #expect(f.guests[0].request.spec.allowSyscalls == ["keyctl", "userns"])
        #expect(f.guests[1].request.spec.allowSyscalls == nil)
        #expect(throws: FleetError.self) {
            _ = try FleetFile.parse("guests:\n  - name: web1\n    template: busybox\n    allow-syscall: keyctl\n")
        }
        #expect(throws: FleetError.self) {
            _ = try FleetFile.parse("guests:\n  - name: web1\n    template: busybox\n    allow-syscall: [\"not a name\"]\n")
        }
    }

    @Test func malformedYAMLNamesLineAndColumn() {
        do throws(FleetError) {
            _ = try FleetFile.parse("guests:\n  - name: web1\n    template: [unclosed\n")
            Issue.record("accepted")
        } catch {
            #expect(error.message.contains("line"))
            #expect(error.message.contains("column"))
        }
    }

    @Test(arguments: [
        ("guests:\n  - name: web1\n    template: t\n    memroy: 64M\n", "4:5", "unknown key \"memroy\""),
        ("guests:\n  - name: web1\n    template: t\n    memory: lots\n", "4:13", "cannot read \"lots\""),
        ("guests:\n  - template: t\n", "2:5", "needs `name`"),
        ("guests:\n  - name: Bad_Name\n    template: t\n", "2:5", "invalid guest name"),
        ("guests:\n  - name: a\n    template: t\n  - name: a\n    template: t\n", "4:5", "appears twice"),
        ("hosts: []\n", "1:1", "unknown key \"hosts\""),
    ])
    func badEntriesNameTheirPlace(_ text: String, _ place: String, _ message: String) {
        do throws(FleetError) {
            _ = try FleetFile.parse(text, file: "f.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.message.contains("f.yaml:\(place)"), "\(error.message)")
            #expect(error.message.contains(message), "\(error.message)")
        }
    }
}

/// The `replicate:` key of a guest in a fleet file.
@Suite(.tags(.unit)) struct FleetFileReplicateTests {
    static func replicate(_ value: String) throws(FleetError) -> FleetFile.Replication? {
        try FleetFile.parse("guests:\n  - name: web1\n    template: busybox\n    replicate: \(value)\n", file: "f.yaml").guests[0].replicate
    }

    @Test func readsTrueFalseAndAMapping() throws {
        #expect(try Self.replicate("{to: h2, every: 5m}") == .keep(to: "h2", everySeconds: 300))
        #expect(try Self.replicate("{every: 1h}") == .keep(to: nil, everySeconds: 3600))
        #expect(try Self.replicate("{to: h3}") == .keep(to: "h3", everySeconds: nil))
        #expect(try Self.replicate("true") == .keep(to: nil, everySeconds: nil))
        #expect(try Self.replicate("false") == FleetFile.Replication.none)
        // No key: apply leaves the guest's replica as it is.
        #expect(try FleetFile.parse("guests:\n  - {name: web1, template: busybox}\n").guests[0].replicate == nil)
    }

    @Test(arguments: [
        ("{to: h2, evry: 5m}", "4:25", "unknown key \"evry\""),
        ("{every: 5s}", "4:24", "between 10s and 7d"),
        ("{every: 8d}", "4:24", "between 10s and 7d"),
        ("{every: soon}", "4:24", "not a duration"),
        ("{to: H_2}", "4:21", "invalid host name"),
        ("{to: [h1, h2]}", "4:21", "must be a single value"),
        ("maybe", "4:16", "use true, false or a mapping"),
        ("[h2]", "4:16", "use true, false or a mapping"),
    ])
    func badValuesNameTheirPlace(_ value: String, _ place: String, _ message: String) {
        do throws(FleetError) {
            _ = try Self.replicate(value)
            Issue.record("accepted replicate: \(value)")
        } catch {
            #expect(error.message.contains("f.yaml:\(place)"), "\(error.message)")
            #expect(error.message.contains(message), "\(error.message)")
        }
    }
}
