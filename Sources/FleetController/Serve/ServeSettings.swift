import FleetProtocol
import Foundation

/// `vfleet serve`'s settings: from its options, else the environment
/// (vfleet.env: VFLEET_METRICS_ADDRESS, VFLEET_METRICS_INTERVAL,
/// VFLEET_METRICS_HOST_TIMEOUT, VFLEET_RESUME_INTERVAL,
/// VFLEET_RECONCILE_INTERVAL), else the defaults.
public struct ServeSettings: Sendable, Equatable {
    /// HOST:PORT of /metrics; loopback by default (the metrics name every
    /// host and guest: expose them to a network on purpose only).
    public var metricsAddress = "127.0.0.1:9464"
    /// Seconds between observations of the fleet.
    public var interval: Double = 15
    /// Seconds one host's hello may take in an observation (plus the connect timeout).
    public var hostTimeout: Double = 5
    /// Seconds a client has to send its request and take the answer.
    public var connectionTimeout: Double = 5
    /// Seconds between looks for operations a dead controller process left
    /// in flight (finished or rolled back at once); nil: off.
    public var resumeInterval: Double? = 5
    /// Seconds between reconciliations of desired and actual state (start,
    /// stop or create what differs, as `vfleet reconcile`); nil: off.
    public var reconcileInterval: Double? = 60

    public init() {}

    public static let environmentKeys = ["VFLEET_METRICS_ADDRESS", "VFLEET_METRICS_INTERVAL", "VFLEET_METRICS_HOST_TIMEOUT", "VFLEET_RESUME_INTERVAL",
                                         "VFLEET_RECONCILE_INTERVAL"]

    /// The defaults with the environment's values over them, then the
    /// options given (nil: not given).
    public static func resolve(address: String?, interval: String?, hostTimeout: String?, resumeInterval: String? = nil,
                               reconcileInterval: String? = nil,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws(FleetError) -> ServeSettings {
        var s = ServeSettings()
        func pick(_ option: String?, _ key: String) -> (String, String)? {
            if let option { return (option, "option") }
            if let v = environment[key], !v.isEmpty { return (v, key) }
            return nil
        }
        if let (v, _) = pick(address, "VFLEET_METRICS_ADDRESS") { s.metricsAddress = v }
        if let (v, from) = pick(interval, "VFLEET_METRICS_INTERVAL") {
            guard let secs = DurationText.seconds(v), secs >= 1, secs <= 3600 else {
                throw .invalid("\(from == "option" ? "--interval" : from) \"\(v)\" is not a duration from 1s to 1h (e.g. 15s)")
            }
            s.interval = secs
        }
        if let (v, from) = pick(hostTimeout, "VFLEET_METRICS_HOST_TIMEOUT") {
            guard let secs = DurationText.seconds(v), secs > 0, secs <= 600 else {
                throw .invalid("\(from == "option" ? "--host-timeout" : from) \"\(v)\" is not a duration up to 10m (e.g. 5s)")
            }
            s.hostTimeout = secs
        }
        if let (v, from) = pick(resumeInterval, "VFLEET_RESUME_INTERVAL") {
            s.resumeInterval = try intervalOrOff(v, named: from == "option" ? "--resume-interval" : from, example: "5s")
        }
        if let (v, from) = pick(reconcileInterval, "VFLEET_RECONCILE_INTERVAL") {
            s.reconcileInterval = try intervalOrOff(v, named: from == "option" ? "--reconcile-interval" : from, example: "1m")
        }
        return s
    }

    /// A duration from 1s to 1h, or nil for "off".
    static func intervalOrOff(_ v: String, named: String, example: String) throws(FleetError) -> Double? {
        if v == "off" { return nil }
        guard let secs = DurationText.seconds(v), secs >= 1, secs <= 3600 else {
            throw .invalid("\(named) \"\(v)\" is not a duration from 1s to 1h (e.g. \(example)), or off")
        }
        return secs
    }
}
