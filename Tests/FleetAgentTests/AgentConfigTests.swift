import FleetAgent
import FleetProtocol
import FleetTestSupport
import Foundation
import Testing

/// agent.json: keys may be missing, values are checked, and the context ids
/// an agent hands out start where it says.
@Suite(.tags(.unit)) struct AgentConfigTests {
    func withStateDirectory(_ agentJSON: String?, _ body: (AgentPaths) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vfleet-config-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        if let agentJSON {
            try agentJSON.write(toFile: dir + "/" + AgentConfig.fileName, atomically: true, encoding: .utf8)
        }
        try body(AgentPaths(root: dir))
    }

    @Test func missingFileAndMissingKeysGiveTheDefaults() throws {
        try withStateDirectory(nil) { paths in
            let config = try AgentConfig.load(paths: paths)
            #expect(config == AgentConfig())
        }
        // A file written before firstContextId existed.
        try withStateDirectory(#"{"cgroupParent": "vfc1-host1"}"#) { paths in
            let config = try AgentConfig.load(paths: paths)
            #expect(config.cgroupParent == "vfc1-host1")
            #expect(config.firstContextId == 100)
        }
        try withStateDirectory(#"{"firstContextId": 1064}"#) { paths in
            let config = try AgentConfig.load(paths: paths)
            #expect(config == AgentConfig(cgroupParent: "vfleet", firstContextId: 1064))
        }
    }

    @Test(arguments: [0, -5, 65535, 70000])
    func aFirstContextIdWhoseHostIdsDoNotFitIsRefused(_ first: Int) throws {
        try withStateDirectory(#"{"firstContextId": \#(first)}"#) { paths in
            let error = #expect(throws: FleetError.self) { try AgentConfig.load(paths: paths) }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.contains("firstContextId \(first) is outside 1-65534") == true, "\(String(describing: error))")
            #expect(error?.message.contains(AgentConfig.fileName) == true)
        }
    }

    @Test func theReceiveWriterThreadsAreReadAndBounded() throws {
        try withStateDirectory(#"{"receiveWriterThreads": 0}"#) { paths in
            let config = try AgentConfig.load(paths: paths)
            #expect(config.receiveWriterThreads == 0)
        }
        try withStateDirectory(nil) { paths in
            let threads = try AgentConfig.load(paths: paths).receiveWriterThreads
            #expect(threads == min(8, 2 * ProcessInfo.processInfo.activeProcessorCount))
        }
        for bad in [-1, 65] {
            try withStateDirectory(#"{"receiveWriterThreads": \#(bad)}"#) { paths in
                let error = #expect(throws: FleetError.self) { try AgentConfig.load(paths: paths) }
                #expect(error?.message.contains("receiveWriterThreads \(bad) is outside 0-64") == true, "\(String(describing: error))")
            }
        }
    }

    @Test func theRequestLineCapIsReadAndBounded() throws {
        try withStateDirectory(#"{"maxRequestLineBytes": 16777216}"#) { paths in
            let config = try AgentConfig.load(paths: paths)
            #expect(config.maxRequestLineBytes == 16 << 20)
        }
        #expect(AgentConfig().maxRequestLineBytes == 4 << 20)
        for bad in [0, 1000, 2 << 30] {
            try withStateDirectory(#"{"maxRequestLineBytes": \#(bad)}"#) { paths in
                let error = #expect(throws: FleetError.self) { try AgentConfig.load(paths: paths) }
                #expect(error?.message.contains("maxRequestLineBytes \(bad) is outside") == true, "\(String(describing: error))")
            }
        }
    }

    func record(_ name: String, _ contextId: Int) -> GuestRecord {
        GuestRecord(spec: GuestSpec(name: name, template: "t"), contextId: contextId, templateDigest: "d", createdAt: 0)
    }

    @Test func contextIdsAreTheLowestFreeFromTheFirst() throws {
        #expect(try GuestRecord.nextContextId(for: "a", in: []) == 100)
        #expect(try GuestRecord.nextContextId(for: "a", in: [], from: 1064) == 1064)
        let taken = [record("x", 1064), record("y", 1065), record("z", 1067), record("old", 100)]
        #expect(try GuestRecord.nextContextId(for: "a", in: taken, from: 1064) == 1066)
        // Ids below the first are never handed out, even when free.
        #expect(try GuestRecord.nextContextId(for: "a", in: [record("x", 1064)], from: 1064) == 1065)
    }

    @Test func theLastContextIdIsTheLastHandedOut() throws {
        #expect(try GuestRecord.nextContextId(for: "a", in: [record("x", 65533)], from: 65533) == 65534)
        let error = #expect(throws: FleetError.self) {
            try GuestRecord.nextContextId(for: "web9", in: [record("x", 65533), record("y", 65534)], from: 65533)
        }
        #expect(error?.code == .conflict)
        #expect(error?.message.hasPrefix("cannot give guest web9 a context id: 65533-65534 are all taken") == true, "\(String(describing: error))")
    }
}
