import FleetProtocol

/// Makes sure a host has a template, by digest (template push, and a
/// move's first step). A host that lacks it gets it from a host that has it
/// (a move's source first), straight from agent to agent; from this
/// controller's archive only with the relay, when no host could send it in
/// `auto`, or when no other host has it.
enum TemplateDelivery {
    struct Outcome: Sendable, Equatable {
        /// false: the host had the digest already.
        var sent: Bool
        /// How it went: "direct from host1", "relay", "relay (direct failed: …)".
        var transport: String?
        var bytes: UInt64 = 0
    }

    /// Other hosts tried after the preferred one: a bound, so that a host
    /// lacking a template does not wait on a long list of unreachable ones.
    static let maxSenders = 4

    /// Asks the agent; sends the template if missing.
    static func ensure(_ template: StoredTemplate, on host: StoredHost, via transport: any AgentTransport,
                       mode: LayerTransportMode = .relay, senders: [StoredHost] = []) throws(FleetError) -> Outcome {
        if try has(template, host, transport) { return Outcome(sent: false) }
        var failures: [String] = []
        if mode != .relay {
            for sender in senders.prefix(maxSenders + 1) where sender.name != host.name {
                do throws(FleetError) {
                    switch try transport.copyTemplateDirectly(template, from: sender, to: host) {
                    case .copied(_, let bytes): return Outcome(sent: true, transport: "direct from \(sender.name)", bytes: bytes)
                    case .unreachable(let why): failures.append("\(sender.name): \(why)")
                    }
                } catch where error.code == .conflict {
                    // Another operation brought it meanwhile: same digest, done.
                    if try has(template, host, transport) { return Outcome(sent: false) }
                    throw error
                } catch {
                    failures.append("\(sender.name): \(error.message)")
                    // A destination that failed (its disk is full, the tree
                    // arrived corrupted) is not a reason to try the relay
                    // unless the operator allowed it.
                    if mode == .direct { break }
                }
            }
            if mode == .direct {
                let why = failures.isEmpty ? "no other host has template \(template.name) with digest \(template.digest.prefix(12))" : failures.joined(separator: "; ")
                throw FleetError(.unreachable, "cannot send template \(template.name) to \(host.name) directly: \(why) (--transport auto or relay sends it from the controller)")
            }
        }
        try transport.sendTemplate(template, to: host)
        let how = mode == .relay ? "relay" : failures.isEmpty ? "relay (no other host has it)" : "relay (direct failed: \(failures.joined(separator: "; ")))"
        return Outcome(sent: true, transport: how, bytes: template.archiveBytes)
    }

    /// Whether `host` has `template` with its digest; another template of
    /// that name is a conflict the operator resolves.
    private static func has(_ template: StoredTemplate, _ host: StoredHost, _ transport: any AgentTransport) throws(FleetError) -> Bool {
        let present = try transport.call(RPC.TemplateList(), on: host)
        guard let same = present.first(where: { $0.name == template.name }) else { return false }
        if same.digest == template.digest { return true }
        throw .conflict("host \(host.name) has another template named \(template.name) (digest \(same.digest.prefix(12)), controller's \(template.digest.prefix(12))); remove it or rename")
    }

    /// What the store knows of the hosts that hold a template: every host
    /// (with the templates of its last hello) and the hosts where guests of
    /// it are placed (which must have it to run them).
    struct Holders: Sendable {
        var hosts: [StoredHost]
        var placed: Set<String>

        static func of(_ template: String, in store: FleetStore) throws(FleetError) -> Holders {
            let users = Set(try store.guests().filter { $0.template == template }.map(\.name))
            return Holders(hosts: try store.hosts(), placed: Set(try store.placements().filter { users.contains($0.guest) }.map(\.host)))
        }
    }

    /// The hosts that may send `template` to `destination`, best first:
    /// `preferred` (a move's source, which runs a guest of it), then hosts
    /// where guests of it are placed, then hosts whose last hello listed it
    /// with the same digest. Each sender checks its own copy's digest again
    /// before it sends, and the destination checks what arrives.
    static func senders(of template: StoredTemplate, to destination: String, preferred: StoredHost?, holders: Holders) -> [StoredHost] {
        var out: [StoredHost] = []
        if let preferred, preferred.name != destination { out.append(preferred) }
        let others = holders.hosts.filter { $0.name != destination && $0.name != preferred?.name }
        let placed = others.filter { holders.placed.contains($0.name) }
        let listed = others.filter { h in
            !holders.placed.contains(h.name) && (h.facts?.templates ?? []).contains { $0.name == template.name && $0.digest == template.digest }
        }
        return out + (placed.sorted { $0.name < $1.name } + listed.sorted { $0.name < $1.name }).prefix(maxSenders)
    }
}
