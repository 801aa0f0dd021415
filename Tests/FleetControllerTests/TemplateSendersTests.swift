@testable import FleetController
import FleetProtocol
import Testing

/// Which hosts a template may come from when a destination lacks it
/// (TemplateDelivery.senders): pure, no hosts needed.
@Suite(.tags(.unit)) struct TemplateSendersTests {
    static let template = StoredTemplate(name: "deb", digest: String(repeating: "d", count: 64), fileCount: 1, totalBytes: 1,
                                         archivePath: "/nonexistent", archiveBytes: 1, addedAt: 0)

    static func host(_ name: String, listing digest: String? = nil) -> StoredHost {
        let templates = digest.map { [TemplateInfo(name: "deb", digest: $0, fileCount: 1, totalBytes: 1, initStyle: .plain, defaultInit: [],
                                                   source: "test", createdAt: 0)] } ?? []
        let facts = HostFacts(hostname: name, kernel: "6", cgroupMode: "v2", cpus: 1, memoryBytes: 1, freeDiskBytes: 1, templates: templates, guests: [])
        return StoredHost(name: name, address: "10.0.0.1", port: 22, user: "root", identityFile: "", labels: [:], reservedMemoryBytes: 0,
                          facts: facts, hostKeyFingerprint: "", addedAt: 0, lastSeenAt: nil)
    }

    @Test func theSourceComesFirstThenHostsRunningItThenHostsListingItsDigest() {
        let hosts = [Self.host("a", listing: Self.template.digest), Self.host("b"), Self.host("c", listing: String(repeating: "e", count: 64)),
                     Self.host("dst"), Self.host("src"), Self.host("z", listing: Self.template.digest)]
        let holders = TemplateDelivery.Holders(hosts: hosts, placed: ["b", "src"])
        let senders = TemplateDelivery.senders(of: Self.template, to: "dst", preferred: Self.host("src"), holders: holders)
        // c lists another digest: never asked; the destination never sends to itself.
        #expect(senders.map(\.name) == ["src", "b", "a", "z"])
    }

    @Test func theDestinationIsNeverASenderAndTheListIsBounded() {
        let hosts = (0..<20).map { Self.host("h\($0)", listing: Self.template.digest) }
        let senders = TemplateDelivery.senders(of: Self.template, to: "h0", preferred: hosts[0], holders: TemplateDelivery.Holders(hosts: hosts, placed: []))
        #expect(!senders.contains { $0.name == "h0" })
        #expect(senders.count == TemplateDelivery.maxSenders)
    }
}
