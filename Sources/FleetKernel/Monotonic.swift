import Glibc

/// Seconds on the monotonic clock, for deadlines and measurements.
public enum Monotonic {
    public static var now: Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
