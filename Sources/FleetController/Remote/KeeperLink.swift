import FleetProtocol
import Foundation
import Glibc

/// A controller process's side of the connection keeper (ConnectionKeeper):
/// one short Unix connection per call, so calls from many threads need no
/// coordination here.
public final class KeeperLink: Sendable {
    public let socketPath: String

    public init(socketPath: String) { self.socketPath = socketPath }

    /// The keeper's answer to one request line.
    enum Outcome: Sendable {
        /// The agent's response line, as the agent wrote it.
        case answered(String)
        /// Nobody listens: the caller connects by itself.
        case unavailable
        /// The request went out and no answer came: it may have run.
        case lost
    }

    /// Whether a keeper answers at this socket.
    public var isServing: Bool { UnixSocket.connect(to: socketPath) != nil }

    /// A call as one line of text, made by the caller (so that only the
    /// waiting happens on other threads).
    static func requestLine(host: String, method: String, paramsJSON: String, timeout: Double) -> String {
        let data = (try? JSONEncoder().encode(KeeperRequest(host: host, method: method, params: paramsJSON, timeout: timeout))) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Sends one request line and waits for the answer line: no JSON here.
    func exchange(_ line: String, timeout: Double) -> Outcome {
        guard let socket = UnixSocket.connect(to: socketPath), socket.writeLine(line) else { return .unavailable }
        // The keeper's own connect (on first use of the host) comes on top of the call.
        guard let answer = socket.readLine(timeout: timeout + 30) else { return .lost }
        return .answered(answer)
    }

    public func status() -> KeeperStatus? {
        guard let line = control("status") else { return nil }
        return try? JSONDecoder().decode(KeeperStatus.self, from: Data(line.utf8))
    }

    /// Asks the keeper to end; true when one was there to ask.
    public func stop() -> Bool { control("stop") != nil }

    private func control(_ what: String) -> String? {
        guard let socket = UnixSocket.connect(to: socketPath),
              let data = try? JSONEncoder().encode(KeeperRequest(control: what)),
              socket.writeLine(String(decoding: data, as: UTF8.self)) else { return nil }
        return socket.readLine(timeout: 10)
    }
}
