import FleetProtocol
import FleetSystem
import Foundation

/// `vfleet serve`'s metrics: a loop observes the fleet (`observe`, one
/// round) and keeps the encoded result; a scrape (`scrape`) answers at once
/// from it, adding how old it is. A scrape never calls a host or waits for
/// a round, so a slow or dead host can make the data older, never the
/// answer slower.
public final class MetricsObserver: Sendable {
    private struct State: Sendable {
        var totals = ObservationTotals()
        var last: FleetSnapshot?
        /// The exposition of `last` without the age line.
        var body = ""
        /// Monotonic time `last` ended.
        var observedAt: Double?
        var lastError: String?
    }

    private let controller: Controller
    public let hostTimeout: Double
    private let state = Locked(State())

    public init(controller: Controller, hostTimeout: Double) {
        self.controller = controller
        self.hostTimeout = hostTimeout
    }

    /// One round: asks every host (each within the host timeout) and keeps
    /// the result; a round that fails keeps the last one and counts the failure.
    public func observe() {
        do throws(FleetError) {
            let s = try controller.snapshot(hostTimeout: hostTimeout)
            let now = Monotonic.now
            let totals = state.withLock { st in
                st.totals.add(s)
                return st.totals
            }
            // Encoded outside the lock (a big fleet's text takes a while):
            // scrapes meanwhile answer from the previous round.
            let body = PrometheusText.encode(FleetMetrics.families(s, totals))
            state.withLock { st in
                st.last = s
                st.observedAt = now
                st.lastError = nil
                st.body = body
            }
        } catch {
            let message = error.message
            FileHandle.standardError.write(Data("vfleet serve: observation failed: \(message)\n".utf8))
            let (last, totals) = state.withLock { st in
                st.totals.failedRounds += 1
                st.lastError = message
                return (st.last, st.totals)
            }
            if let last {
                let body = PrometheusText.encode(FleetMetrics.families(last, totals))
                state.withLock { $0.body = body }
            }
        }
    }

    /// The answer to GET /metrics: the last observation, and its age.
    public func scrape() -> HTTPListener.Response {
        let now = Monotonic.now
        let (body, observedAt, error) = state.withLock { ($0.body, $0.observedAt, $0.lastError) }
        guard let observedAt else {
            return HTTPListener.Response(status: 503, body: "vfleet serve: no observation of the fleet yet"
                                         + (error.map { " (last attempt: \($0))" } ?? " (the first one is running)") + "\n")
        }
        var text = body
        PrometheusText.append(.single("vfleet_observation_age_seconds", "Seconds since the observation these metrics come from ended.",
                                      .gauge, ((now - observedAt) * 1000).rounded() / 1000), to: &text)
        return HTTPListener.Response(status: 200, contentType: PrometheusText.contentType, body: text)
    }

    /// The last snapshot (tests compare it with the scrape).
    public var lastSnapshot: FleetSnapshot? { state.withLock { $0.last } }
}
