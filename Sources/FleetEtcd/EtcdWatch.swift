import FleetSystem
import Foundation
import Synchronization

/// A stream of changes to a key range from a revision on, delivered one
/// event at a time in revision order. If its member goes away the watch
/// opens again on another from the revision after the last one delivered,
/// so nothing is skipped or repeated. One thread reads (`next`); any
/// thread may `cancel`.
public final class EtcdWatch: Sendable {
    private struct Stream {
        var reader: HTTPResponseReader?
        var endpoint: EtcdEndpoint?
        var lines: [UInt8] = []
        var pending: [EtcdWatchEvent] = []
        /// Where a reopened watch starts: after the last revision received.
        var nextRevision: Int64
    }

    private let client: EtcdClient
    private let range: EtcdKeyRange
    private let previousValues: Bool
    private let stream: Mutex<Stream>
    /// The open connection, for `cancel` from another thread.
    private let connection = Mutex<HTTPConnection?>(nil)
    private let cancelled = Atomic<Bool>(false)

    init(client: EtcdClient, range: EtcdKeyRange, fromRevision revision: Int64, previousValues: Bool) throws(EtcdError) {
        self.client = client
        self.range = range
        self.previousValues = previousValues
        stream = Mutex(Stream(nextRevision: revision))
        try stream.withLock { state throws(EtcdError) in try open(&state) }
    }

    deinit { cancel() }

    /// The next event, waiting up to `timeout` seconds; nil if none came.
    public func next(timeout: Double) throws(EtcdError) -> EtcdWatchEvent? {
        let deadline = Monotonic.now + timeout
        return try stream.withLock { state throws(EtcdError) -> EtcdWatchEvent? in
            while state.pending.isEmpty {
                if cancelled.load(ordering: .acquiring) { throw EtcdError(.cancelled, "the etcd watch of \(EtcdClient.describe(range)) was cancelled") }
                guard Monotonic.now < deadline else { return nil }
                if state.reader == nil { try open(&state) }
                do {
                    guard let chunk = try state.reader?.readChunk(deadline: deadline) else {
                        throw HTTPResponseReader.Malformed(reason: "the member ended the stream")
                    }
                    state.lines += chunk
                    try take(&state)
                } catch let error as EtcdError {
                    throw error
                } catch let failure as HTTPConnection.IOFailure where failure.reason.hasSuffix("timed out") {
                    return nil
                } catch {
                    // The member went away: open again elsewhere, from the
                    // revision after the last one received.
                    if cancelled.load(ordering: .acquiring) { continue }
                    close(&state)
                }
            }
            return state.pending.removeFirst()
        }
    }

    /// Ends the watch; a `next` blocked in another thread returns `cancelled`.
    public func cancel() {
        cancelled.store(true, ordering: .releasing)
        connection.withLock { $0?.shutdown() }
    }

    /// Decodes every complete line received so far.
    private func take(_ state: inout Stream) throws(EtcdError) {
        while let newline = state.lines.firstIndex(of: 10) {
            let line = Array(state.lines[..<newline])
            state.lines.removeFirst(newline + 1)
            guard !line.allSatisfy({ $0 == 32 || $0 == 13 }) else { continue }
            let message: EtcdWatchResponse
            do {
                message = try EtcdJSON.decoder.decode(EtcdWatchResponse.self, from: Data(line))
            } catch {
                throw EtcdError(.badResponse, "etcd at \(state.endpoint.map(String.init(describing:)) ?? "?") sent a watch message vfleet cannot read (\(error))")
            }
            if let error = message.error {
                throw EtcdError(.rejected(code: error.code ?? -1), "etcd at \(state.endpoint.map(String.init(describing:)) ?? "?") ended the watch of \(EtcdClient.describe(range)): \(error.text)")
            }
            guard let result = message.result else { continue }
            if result.compactRevision > 0 {
                throw EtcdError(.compacted(revision: result.compactRevision), "cannot watch \(EtcdClient.describe(range)) from revision \(state.nextRevision): etcd has compacted its history up to \(result.compactRevision); start from a snapshot")
            }
            if result.canceled {
                throw EtcdError(.rejected(code: -1), "etcd cancelled the watch of \(EtcdClient.describe(range)): \(result.cancelReason.isEmpty ? "no reason given" : result.cancelReason)")
            }
            if result.created, state.nextRevision == 0, let header = result.header {
                // A watch "from now" starts after the revision it was made
                // at: a reopened one must not skip what came in between.
                state.nextRevision = header.revision + 1
            }
            state.pending += result.events
            if let last = result.events.last { state.nextRevision = last.revision + 1 }
        }
    }

    private func open(_ state: inout Stream) throws(EtcdError) {
        let body = EtcdJSON.encode(WatchCreateBody(range: range, startRevision: state.nextRevision, previousValues: previousValues))
        let what = "watch of \(EtcdClient.describe(range)) from revision \(state.nextRevision)"
        let ((opened, reader), endpoint) = try client.withFailover(what: what, retry: .idempotent) { endpoint, deadline throws(GatewayFailure) in
            let (opened, head, reader) = try GatewayRequest.open(
                "/v3/watch", body: body, to: endpoint, tls: client.tls, connectBy: Monotonic.now + client.settings.connectTimeout, deadline: deadline, keepAlive: true)
            guard head.isChunked else {
                opened.close()
                throw .noAnswer("the watch answer is not a stream")
            }
            return (opened, reader)
        }
        connection.withLock { current in
            current?.close()
            current = opened
            if cancelled.load(ordering: .acquiring) { opened.shutdown() }
        }
        state.reader = reader
        state.endpoint = endpoint
        state.lines = []
    }

    private func close(_ state: inout Stream) {
        state.reader = nil
        state.lines = []
        connection.withLock { current in
            current?.close()
            current = nil
        }
    }
}
