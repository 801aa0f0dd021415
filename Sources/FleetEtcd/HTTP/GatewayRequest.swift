import Foundation

/// One POST to the gateway: `/v3/…` with a JSON body, on a connection of its
/// own (closed after the answer; a loopback connect costs microseconds, and
/// it keeps "was anything sent" exact).
enum GatewayRequest {
    static func post(_ path: String, body: [UInt8], to endpoint: EtcdEndpoint, tls: EtcdTLSContext?, connectBy: Double, deadline: Double) throws(GatewayFailure) -> [UInt8] {
        let (connection, head, reader) = try open(path, body: body, to: endpoint, tls: tls, connectBy: connectBy, deadline: deadline, keepAlive: false)
        defer { connection.close() }
        var bodyReader = reader
        do {
            let answer = try bodyReader.readBody(head, deadline: deadline)
            try check(head, answer)
            return answer
        } catch let failure as GatewayFailure {
            throw failure
        } catch {
            throw .noAnswer(describe(error))
        }
    }

    /// Sends the request and reads the head; the caller reads the body
    /// (a stream) and closes the connection.
    static func open(_ path: String, body: [UInt8], to endpoint: EtcdEndpoint, tls: EtcdTLSContext?, connectBy: Double, deadline: Double, keepAlive: Bool)
        throws(GatewayFailure) -> (HTTPConnection, HTTPResponseReader.Head, HTTPResponseReader)
    {
        let connection: HTTPConnection
        do throws(HTTPConnection.ConnectFailure) {
            connection = try HTTPConnection.connect(to: endpoint, tls: tls, deadline: min(connectBy, deadline))
        } catch {
            throw .notSent(error.reason)
        }
        var head = "POST \(path) HTTP/1.1\r\nHost: \(endpoint)\r\nContent-Type: application/json\r\n"
        head += "Content-Length: \(body.count)\r\n"
        if !keepAlive { head += "Connection: close\r\n" }
        head += "\r\n"
        do throws(HTTPConnection.IOFailure) {
            try connection.send(Array(head.utf8) + body, deadline: deadline)
        } catch {
            connection.close()
            throw .noAnswer(error.reason)
        }
        var reader = HTTPResponseReader(connection: connection)
        do {
            let responseHead = try reader.readHead(deadline: deadline)
            if responseHead.status != 200 {
                let answer = try reader.readBody(responseHead, deadline: deadline)
                connection.close()
                try check(responseHead, answer)
            }
            return (connection, responseHead, reader)
        } catch let failure as GatewayFailure {
            connection.close()
            throw failure
        } catch {
            connection.close()
            throw .noAnswer(describe(error))
        }
    }

    private static func check(_ head: HTTPResponseReader.Head, _ answer: [UInt8]) throws(GatewayFailure) {
        guard head.status != 200 else { return }
        let error = try? EtcdJSON.decoder.decode(GatewayErrorBody.self, from: Data(answer))
        throw .server(httpStatus: head.status, code: error?.code ?? -1, message: error?.text ?? "HTTP \(head.status): \(String(decoding: answer.prefix(200), as: UTF8.self))")
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let failure as HTTPConnection.IOFailure: failure.reason
        case let failure as HTTPResponseReader.Malformed: failure.reason
        default: "\(error)"
        }
    }
}
