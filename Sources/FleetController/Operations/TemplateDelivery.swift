import FleetProtocol

/// Makes sure a host has a template, by digest (template push, and a
/// move's first step).
enum TemplateDelivery {
    /// Asks the agent, sends the archive if missing; returns whether it was sent.
    static func ensure(_ template: StoredTemplate, on host: StoredHost, via transport: any AgentTransport) throws(FleetError) -> Bool {
        let present = try transport.call(RPC.TemplateList(), on: host)
        if let same = present.first(where: { $0.name == template.name }) {
            if same.digest == template.digest { return false }
            throw .conflict("host \(host.name) has another template named \(template.name) (digest \(same.digest.prefix(12)), controller's \(template.digest.prefix(12))); remove it there or rename")
        }
        try transport.sendTemplate(template, to: host)
        return true
    }
}
