import FleetAgent
import FleetProtocol
import Foundation
import Testing

extension AgentIntegration {
    /// One huge request line must neither grow the agent nor end the session.
    @Suite struct RequestLineCap {
        @Test func aLineOverTheCapIsAnsweredAndTheNextRequestServedInBoundedMemory() throws {
            try withTestAgent(buildTemplate: false) { t in
                let rpc = try RPCClientProcess(root: t.root)
                defer { rpc.close() }
                #expect(try rpc.call(RPCMethod.hello, HelloParams(client: "test")).error == nil)
                let pid = rpc.process.processIdentifier
                let before = try #require(Self.peakRSSKiB(of: pid))
                // 100 MB in one line, written in 1 MB pieces so that the test
                // itself does not hold it either.
                let piece = Data(repeating: UInt8(ascii: "x"), count: 1 << 20)
                for _ in 0..<100 { rpc.input.fileHandleForWriting.write(piece) }
                let refused = try rpc.sendRaw("")
                let error = try #require(refused.error)
                #expect(error.code == "invalid_argument")
                #expect(error.message.contains("\(100 << 20) bytes") && error.message.contains("at most \(AgentConfig.defaultMaxRequestLineBytes) bytes"),
                        "\(error.message)")
                #expect(error.message.contains("maxRequestLineBytes"))
                let list = try rpc.call(RPCMethod.guestList, EmptyParams())
                #expect(list.error == nil && list.result != nil)
                let after = try #require(Self.peakRSSKiB(of: pid))
                // The cap (4 MiB) and one read may be held: far below the line.
                #expect(after < 60 * 1024, "agent peak RSS \(after) KiB after a 100 MB line (was \(before) KiB)")
                #expect(after - before < 30 * 1024, "agent peak RSS grew from \(before) to \(after) KiB")
            }
        }

        /// VmHWM: the process's peak resident set.
        static func peakRSSKiB(of pid: pid_t) -> Int? {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
            for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
                return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
            }
            return nil
        }
    }
}
