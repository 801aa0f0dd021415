@testable import FleetEtcd
import FleetSystem
import FleetTestSupport
import Foundation
import Testing

/// The HTTP/1.1 framing the gateway uses, from a scripted server on
/// loopback: lengths, chunks split across writes, and short deadlines in
/// the middle of a chunk (a watch's `next(timeout:)`).
@Suite(.tags(.unit)) struct HTTPResponseReaderTests {
    private func open(_ server: ScriptedHTTPServer) throws -> (HTTPConnection, HTTPResponseReader.Head, HTTPResponseReader) {
        let endpoint = EtcdEndpoint(host: "127.0.0.1", port: server.port)
        do throws(GatewayFailure) {
            return try GatewayRequest.open("/v3/watch", body: Array("{}".utf8), to: endpoint, tls: nil, connectBy: Monotonic.now + 2, deadline: Monotonic.now + 2, keepAlive: true)
        } catch {
            throw FixtureError("cannot open the scripted answer: \(error)")
        }
    }

    @Test func aChunkCutByAShortDeadlineIsReadWholeLater() throws {
        let server = try ScriptedHTTPServer(pieces: [
            (0, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
            (0, "b\r\n{\"a\":"),  // 11 bytes announced, 5 sent
            (0.3, "\"one\"}\r\n"),
            (0, "7\r\n{\"b\":2}\r\n0\r\n\r\n"),
        ])
        var (connection, head, reader) = try open(server)
        defer { connection.close() }
        #expect(head.status == 200 && head.isChunked)
        // The deadline passes mid-chunk: nothing is consumed...
        #expect(throws: HTTPConnection.IOFailure.self) { try reader.readChunk(deadline: Monotonic.now + 0.1) }
        // ...so the next read gets the whole chunk, then the next, then the end.
        #expect(try reader.readChunk(deadline: Monotonic.now + 2).map { String(decoding: $0, as: UTF8.self) } == "{\"a\":\"one\"}")
        #expect(try reader.readChunk(deadline: Monotonic.now + 2).map { String(decoding: $0, as: UTF8.self) } == "{\"b\":2}")
        #expect(try reader.readChunk(deadline: Monotonic.now + 2) == nil)
    }

    @Test func aBodyByLengthArrivingInPieces() throws {
        let server = try ScriptedHTTPServer(pieces: [
            (0, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Len"),
            (0.05, "gth: 13\r\n\r\n{\"count\""),
            (0.05, ":\"1\"}"),
        ])
        var (connection, head, reader) = try open(server)
        defer { connection.close() }
        #expect(head.contentLength == 13)
        #expect(String(decoding: try reader.readBody(head, deadline: Monotonic.now + 2), as: UTF8.self) == "{\"count\":\"1\"}")
    }

    @Test func anErrorStatusBecomesTheServersMessage() throws {
        let body = #"{"error":"etcdserver: no leader","message":"etcdserver: no leader","code":14}"#
        let server = try ScriptedHTTPServer(pieces: [(0, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")])
        do throws(GatewayFailure) {
            _ = try GatewayRequest.post("/v3/kv/put", body: Array("{}".utf8), to: EtcdEndpoint(host: "127.0.0.1", port: server.port), tls: nil, connectBy: Monotonic.now + 2, deadline: Monotonic.now + 2)
            Issue.record("a 503 was taken for an answer")
        } catch {
            guard case .server(let status, let code, let message) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(status == 503 && code == 14 && message == "etcdserver: no leader")
            #expect(EtcdClient.isUnavailable(code: code, message: message, retry: .onlyIfNotSent))
        }
    }
}
