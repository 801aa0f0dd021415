import FleetProtocol

/// Progress of a copy whose bytes do not pass through this controller (a
/// direct transfer): while `work` runs, asks every `seconds` how many bytes
/// arrived and reports each count that grew. A failed question (an agent
/// without transfer.progress, a busy channel) ends the asking, never the copy.
enum ProgressPoll {
    static func run<T: Sendable>(until work: BackgroundResult<T>, every seconds: Double, report: (UInt64) -> Void,
                                 ask: () throws(FleetError) -> UInt64) -> Result<T, FleetError> {
        var reported: UInt64 = 0
        var asking = true
        while true {
            if let done = asking ? work.wait(seconds: seconds) : work.wait() { return done }
            do throws(FleetError) {
                let bytes = try ask()
                if bytes > reported {
                    reported = bytes
                    report(bytes)
                }
            } catch {
                asking = false
            }
        }
    }
}
