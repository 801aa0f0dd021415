import FleetProtocol

/// The transport one operation talks to agents through: every call carries
/// the operation's fence (RPC.Fenced), so an agent that has seen a newer
/// owner's token for the guest refuses it. Bulk streams are not fenced:
/// they only fill a staging area, which the steps that act on the guest
/// (stage, adopt, start, destroy: all calls) check before use.
struct FencedTransport: AgentTransport {
    let inner: any AgentTransport
    let fence: Fence

    /// `inner` itself for an operation journaled before tokens existed (0).
    static func wrapping(_ inner: any AgentTransport, fence: Fence) -> any AgentTransport {
        fence.token > 0 ? FencedTransport(inner: inner, fence: fence) : inner
    }

    func call<M: AgentMethod>(_ method: M, on host: StoredHost, timeout: Double?) throws(FleetError) -> M.Result {
        try inner.call(RPC.Fenced(method, fence: fence), on: host, timeout: timeout)
    }

    func greet(_ hosts: [StoredHost], maxParallel: Int, timeout: Double) -> [Result<HelloResult, FleetError>] {
        inner.greet(hosts, maxParallel: maxParallel, timeout: timeout)
    }

    func sendTemplate(_ template: StoredTemplate, to host: StoredHost) throws(FleetError) {
        try inner.sendTemplate(template, to: host)
    }

    func copyTemplateDirectly(_ template: StoredTemplate, from sender: StoredHost, to destination: StoredHost) throws(FleetError) -> DirectTemplateOutcome {
        try inner.copyTemplateDirectly(template, from: sender, to: destination)
    }

    func openLayerCopy(from source: StoredHost, to destination: StoredHost) throws(FleetError) -> any LayerCopy {
        try inner.openLayerCopy(from: source, to: destination)
    }

    func openLayerCopy(from source: StoredHost, to destination: StoredHost, mode: LayerTransportMode) throws(FleetError) -> any LayerCopy {
        try inner.openLayerCopy(from: source, to: destination, mode: mode)
    }

    func relayReplicaSync(_ guest: String, transfer: String, from source: StoredHost, to standby: StoredHost,
                          timeout: Double) throws(FleetError) -> (sent: ReplicaSyncResult, point: ReplicaPoint) {
        try inner.relayReplicaSync(guest, transfer: transfer, from: source, to: standby, timeout: timeout)
    }
}
