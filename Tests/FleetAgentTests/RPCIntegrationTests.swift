import FleetAgent
import FleetProtocol
import Foundation
import Testing

/// Drives a real `vfleet-agent rpc` process over pipes, as sshd would.
final class RPCClientProcess {
    let process = Process()
    let input = Pipe()
    let output = Pipe()
    private var buffer = Data()
    private var nextId = 1

    init(root: String) throws {
        process.executableURL = URL(fileURLWithPath: TestAgent.binary)
        process.arguments = ["rpc", "--root", root]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
    }

    func sendRaw(_ line: String) throws -> RPCResponse {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
        while true {
            if let nl = buffer.firstIndex(of: 10) {
                let line = buffer[buffer.startIndex..<nl]
                buffer = Data(buffer[(nl + 1)...])
                return try JSONDecoder().decode(RPCResponse.self, from: Data(line))
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { throw FleetError.failed("rpc process closed its output") }
            buffer += chunk
        }
    }

    func call<P: Encodable>(_ method: String, _ params: P) throws -> RPCResponse {
        defer { nextId += 1 }
        let req = RPCRequest(id: .number(nextId), method: method, params: try JSONValue.from(params))
        let line = String(decoding: try RPCCoding.encoder.encode(req), as: UTF8.self)
        return try sendRaw(line)
    }

    /// A bulk method's answer: the chunked stream ([u32 big-endian
    /// length][bytes]…, a zero length ends it), then the response line.
    func readBulk() throws -> (stream: [UInt8], response: RPCResponse) {
        var stream: [UInt8] = []
        func fill(_ count: Int) throws {
            while buffer.count < count {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { throw FleetError.failed("rpc process closed its output mid-stream") }
                buffer += chunk
            }
        }
        while true {
            try fill(4)
            let length = buffer.prefix(4).reduce(0) { $0 << 8 | Int($1) }
            try fill(4 + length)
            stream += buffer.dropFirst(4).prefix(length)
            buffer = Data(buffer.dropFirst(4 + length))
            if length == 0 { break }
        }
        while true {
            if let nl = buffer.firstIndex(of: 10) {
                let line = buffer[buffer.startIndex..<nl]
                buffer = Data(buffer[(nl + 1)...])
                return (stream, try JSONDecoder().decode(RPCResponse.self, from: Data(line)))
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { throw FleetError.failed("rpc process closed its output") }
            buffer += chunk
        }
    }

    /// Sends a request without waiting for an answer (a bulk method's comes after its stream).
    func sendOnly<P: Encodable>(_ method: String, _ params: P) throws {
        defer { nextId += 1 }
        let req = RPCRequest(id: .number(nextId), method: method, params: try JSONValue.from(params))
        input.fileHandleForWriting.write(try RPCCoding.encoder.encode(req) + Data("\n".utf8))
    }

    func close() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

extension AgentIntegration {
    @Suite struct RPC {
        @Test func helloFirstThenEveryOperation() throws {
            try withTestAgent { t in
                let rpc = try RPCClientProcess(root: t.root)
                defer { rpc.close() }
                let early = try rpc.call(RPCMethod.guestList, EmptyParams())
                #expect(early.error?.code == "protocol_error")
                let hello = try rpc.call(RPCMethod.hello, HelloParams(client: "test"))
                let facts = try #require(hello.result).decode(HelloResult.self)
                #expect(facts.protocolVersion == ProtocolVersion.current)
                #expect(facts.host.templates.map(\.name) == [TestAgent.template])
                #expect(facts.host.cpus > 0)
                #expect(facts.host.memoryBytes > 0)

                let spec = GuestSpec(name: "rpc1", template: TestAgent.template, limits: GuestLimits(memoryBytes: 64 << 20))
                #expect(try rpc.call(RPCMethod.guestCreate, GuestCreateParams(spec: spec)).error == nil)
                let started = try rpc.call(RPCMethod.guestStart, NameParams(name: "rpc1"))
                #expect(try #require(started.result).decode(GuestOperationResult.self).guest?.state == .running)
                let exec = try rpc.call(RPCMethod.guestExec, GuestExecParams(name: "rpc1", argv: ["sh", "-c", "cat; hostname; exit 4"], stdin: "in\n"))
                let result = try #require(exec.result).decode(GuestExecResult.self)
                #expect(result.exitCode == 4)
                #expect(result.stdout == "in\nrpc1\n")
                let status = try rpc.call(RPCMethod.guestStatus, NameParams(name: "rpc1"))
                #expect(try #require(status.result).decode(GuestStatus.self).limits.memoryBytes == 64 << 20)
                let stopped = try rpc.call(RPCMethod.guestStop, GuestStopParams(name: "rpc1", timeoutSeconds: 5))
                #expect(try #require(stopped.result).decode(GuestOperationResult.self).guest?.state == .stopped)
                #expect(try rpc.call(RPCMethod.guestDestroy, GuestDestroyParams(name: "rpc1")).error == nil)
                #expect(try rpc.call(RPCMethod.templateList, EmptyParams()).error == nil)
            }
        }

        @Test func malformedRequestsGetErrorsAndTheLoopKeepsServing() throws {
            try withTestAgent(buildTemplate: false) { t in
                let rpc = try RPCClientProcess(root: t.root)
                defer { rpc.close() }
                #expect(try rpc.sendRaw("this is not json").error?.code == "invalid_argument")
                #expect(try rpc.sendRaw(#"{"id":2,"method":"hello","params":{"protocolVersion":1},"x":1}"#).error?.message.contains("unknown field") == true)
                let v99 = try rpc.sendRaw(#"{"id":3,"method":"hello","params":{"protocolVersion":99}}"#)
                #expect(v99.error?.code == "protocol_error")
                #expect(v99.id == .number(3))
                #expect(try rpc.sendRaw(#"{"id":4,"method":"hello","params":{"protocolVersion":1}}"#).error == nil)
                #expect(try rpc.sendRaw(#"{"id":5,"method":"guest.explode"}"#).error?.code == "not_found")
                #expect(try rpc.sendRaw(#"{"id":6,"method":"guest.start","params":{"nmae":"x"}}"#).error?.message.contains("unknown parameter \"nmae\"") == true)
                #expect(try rpc.sendRaw(#"{"id":7,"method":"guest.start","params":{"name":"../x"}}"#).error?.code == "invalid_argument")
                #expect(try rpc.sendRaw(#"{"id":8,"method":"guest.start","params":{"name":"ghost"}}"#).error?.code == "not_found")
                // Still serving.
                let list = try rpc.sendRaw(#"{"id":9,"method":"guest.list"}"#)
                #expect(list.error == nil)
                #expect(list.id == .number(9))
            }
        }

        /// A move asks for the size of a layer before its pre-copy: the
        /// summary has the counts without the manifest, which for a layer of
        /// many files is megabytes of JSON.
        @Test func aManifestSummaryHasTheCountsWithoutTheManifest() throws {
            try withTestAgent { t in
                try t.makeGuest("man1", start: false)
                let upper = t.agent.paths.guestUpper("man1")
                try FileManager.default.createDirectory(atPath: upper + "/data", withIntermediateDirectories: true)
                for i in 0..<300 { try Data(repeating: UInt8(i % 251), count: i).write(to: URL(fileURLWithPath: upper + "/data/f\(i)")) }
                let rpc = try RPCClientProcess(root: t.root)
                defer { rpc.close() }
                _ = try rpc.call(RPCMethod.hello, HelloParams())
                let full = try #require(try rpc.call(RPCMethod.guestManifest, GuestLayerParams(name: "man1", staging: false)).result).decode(LayerManifest.self)
                let summary = try #require(try rpc.call(RPCMethod.guestManifest, GuestLayerParams(name: "man1", staging: false, summary: true)).result)
                    .decode(LayerManifest.self)
                #expect(full.entries >= 301)
                #expect(full.totalBytes == UInt64((0..<300).reduce(0, +)))
                #expect(full.encoded.count > 300 * 20)
                #expect(summary == LayerManifest(encoded: "", entries: full.entries, totalBytes: full.totalBytes))
            }
        }

        @Test func aNewAgentAfterACrashSeesAndStopsTheGuests() throws {
            try withTestAgent { t in
                let first = try RPCClientProcess(root: t.root)
                _ = try first.call(RPCMethod.hello, HelloParams())
                _ = try first.call(RPCMethod.guestCreate, GuestCreateParams(spec: GuestSpec(name: "survivor", template: TestAgent.template)))
                _ = try first.call(RPCMethod.guestStart, NameParams(name: "survivor"))
                first.kill9()
                let second = try RPCClientProcess(root: t.root)
                defer { second.close() }
                let hello = try #require(try second.call(RPCMethod.hello, HelloParams()).result).decode(HelloResult.self)
                #expect(hello.host.guests.first { $0.name == "survivor" }?.state == .running)
                let stopped = try second.call(RPCMethod.guestStop, GuestStopParams(name: "survivor", timeoutSeconds: 5))
                #expect(try #require(stopped.result).decode(GuestOperationResult.self).guest?.state == .stopped)
            }
        }
    }
}
