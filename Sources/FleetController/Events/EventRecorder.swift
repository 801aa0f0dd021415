import FleetProtocol
import Foundation

/// Writes one event per change, where the change's outcome is known: an
/// operation runs its body through `record`, which times it and appends
/// the event when the body returns or throws (then with the error, and the
/// error still reaches the caller).
struct EventRecorder: Sendable {
    let store: FleetStore
    let identity: OperatorIdentity
    /// The operator's `--reason` for every change of this process.
    let reason: String?
    /// Events older than this many seconds go when one is written (0: kept).
    let retention: Double

    /// Runs `body` and records it as `action`; `command` names the
    /// command it is part of when that is another (an evacuation's moves).
    /// `when` false runs it unrecorded (a dry run changes nothing).
    func record<T>(_ action: String, command: String? = nil, guest: String? = nil, host: String? = nil, toHost: String? = nil,
                   template: String? = nil, when enabled: Bool = true, _ body: (inout EventNote) throws(FleetError) -> T) throws(FleetError) -> T {
        var note = EventNote(guest: guest, host: host, toHost: toHost, template: template)
        guard enabled else { return try body(&note) }
        let started = Date()
        do throws(FleetError) {
            let value = try body(&note)
            append(action, command: command, note, outcome: note.outcome ?? .ok, error: note.error, started: started)
            return value
        } catch {
            let outcome: StoredEvent.Outcome = note.outcome == .rolledBack ? .rolledBack : .failed
            append(action, command: command, note, outcome: outcome, error: error.message, started: started)
            throw error
        }
    }

    /// Runs `body` once and records it as one `action` event per host of
    /// `hosts` (a command over several hosts, so that `events --host H`
    /// finds it for each of them); `note` words each host's event from what
    /// the body returned. A throw is recorded failed for every host.
    func record<T>(_ action: String, hosts: [String], when enabled: Bool = true, _ body: () throws(FleetError) -> T,
                   note: (T, String) -> EventNote) throws(FleetError) -> T {
        guard enabled else { return try body() }
        let started = Date()
        do throws(FleetError) {
            let value = try body()
            for host in hosts {
                let n = note(value, host)
                append(action, command: nil, n, outcome: n.outcome ?? .ok, error: n.error, started: started)
            }
            return value
        } catch {
            for host in hosts { append(action, command: nil, EventNote(host: host), outcome: .failed, error: error.message, started: started) }
            throw error
        }
    }

    func append(_ action: String, command: String?, _ note: EventNote, outcome: StoredEvent.Outcome, error: String?, started: Date) {
        let now = Date()
        let event = StoredEvent(at: now.timeIntervalSince1970, user: identity.user, machine: identity.machine, action: action,
                                command: command, reason: reason, guest: note.guest, host: note.host, toHost: note.toHost,
                                template: note.template, operation: note.operation, outcome: outcome, error: error,
                                detail: note.detail, seconds: now.timeIntervalSince(started))
        do throws(FleetError) {
            try store.appendEvent(event, retention: retention)
        } catch {
            // The change itself is done (or failed) either way: failing the
            // command now would tell the operator it did not happen.
            FileHandle.standardError.write(Data("vfleet: warning: the event of \(action) was not recorded: \(error.message)\n".utf8))
        }
    }

    /// A `--reason` as events keep it: one line of at most 1,000 characters.
    static func validate(reason: String?) throws(FleetError) -> String? {
        guard let reason else { return nil }
        let text = reason.trimmingCharacters(in: .whitespaces)
        if text.isEmpty { throw .invalid("--reason is empty (say why, or leave it out)") }
        if text.count > 1000 { throw .invalid("--reason has \(text.count) characters (at most 1000)") }
        if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw .invalid("--reason must be one line of text without control characters")
        }
        return text
    }
}
