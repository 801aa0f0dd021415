import FleetAgent
import FleetProtocol
import FleetTree
import FleetTreeStream
import Foundation
import Testing

extension AgentIntegration {
    /// A resumed move sends the destination's manifest to the source. One
    /// of a big layer passes the request line cap (a 22,000-entry layer's
    /// did, and the resume failed); in parts it arrives whole and the
    /// delta against it is exact.
    @Suite struct ReceiverManifest {
        @Test func aManifestOverTheLineCapArrivesInPartsAndTheDeltaUsesIt() throws {
            try withTestAgent { t in
                try t.makeGuest("rm1", network: .none, start: false)
                // 40,000 entries the source lacks: the delta must delete each one.
                let gone = (0..<40_000).map {
                    TreeManifestEntry(path: "gone-\($0)", kind: .file, mode: 0o644, uid: 0, gid: 0, size: 1,
                                      mtimeSeconds: 1, mtimeNanoseconds: 0)
                }
                let manifest = String(decoding: try JSONEncoder().encode(gone), as: UTF8.self)
                #expect(manifest.utf8.count > AgentConfig.defaultMaxRequestLineBytes)

                let rpc = try RPCClientProcess(root: t.root)
                defer { rpc.close() }
                #expect(try rpc.call(RPCMethod.hello, HelloParams(client: "test")).error == nil)
                // Whole, the request is refused by the cap.
                let whole = try rpc.call(FleetProtocol.RPC.GuestExport.name, GuestExportParams(name: "rm1", since: manifest))
                #expect(whole.error?.code == "invalid_argument", "\(String(describing: whole.error))")

                let parts = GuestReceiverManifestParams.parts(of: manifest)
                #expect(parts.count > 4 && parts.joined() == manifest)
                var last: RPCResponse?
                for (index, part) in parts.enumerated() {
                    last = try rpc.call(FleetProtocol.RPC.GuestReceiverManifest.name,
                                        GuestReceiverManifestParams(name: "rm1", part: part, last: index == parts.count - 1))
                    #expect(last?.error == nil, "\(String(describing: last?.error))")
                }
                let held = try #require(last?.result).decode(ReceiverManifestState.self)
                #expect(held == ReceiverManifestState(bytes: manifest.utf8.count, entries: gone.count))

                try rpc.sendOnly(FleetProtocol.RPC.GuestExport.name, GuestExportParams(name: "rm1", sinceExported: true))
                let (stream, response) = try rpc.readBulk()
                #expect(response.error == nil, "\(String(describing: response.error))")
                let stats = try #require(response.result).decode(LayerStreamStats.self)
                #expect(stats.deleted == gone.count)
                #expect(stream.count > gone.count * 8)
            }
        }

        @Test func partsAreCutOnCharacterBoundaries() {
            let text = String(repeating: "aé€😀", count: 1000)
            for size in [1, 2, 3, 5, 7, 64] {
                let parts = GuestReceiverManifestParams.parts(of: text, maximumBytes: size)
                #expect(parts.joined() == text)
                #expect(parts.allSatisfy { $0.utf8.count <= max(size, 4) })
            }
            #expect(GuestReceiverManifestParams.parts(of: "") == [""])
        }
    }
}
