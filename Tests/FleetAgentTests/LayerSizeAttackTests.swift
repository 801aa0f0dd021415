import FleetAgent
import FleetTree
import Foundation
import Glibc
import FleetTestSupport
import Testing

extension AgentIntegration {
    /// A move's progress total (`guest.manifest` summary, `TreeSize`) walks
    /// a running guest's layer, which root in the guest wrote.
    @Suite struct LayerSizeAttack {
        /// Root in a running guest plants links to a host file, to "/" and
        /// to /etc/shadow, a link to its own directory, and a FIFO. The count
        /// must follow none of them, nor block on the FIFO: it equals the
        /// manifest's, and does not change when the host file grows.
        @Test func aGuestsPlantedLinksAndFifoAreNeitherFollowedNorOpenedByTheProgressTotal() throws {
            try withTestAgent { t in
                let hostFile = "/var/tmp/vfleet-layer-size-target-\(getpid())"
                try Data(repeating: 7, count: 3 << 20).write(to: URL(fileURLWithPath: hostFile))
                defer { unlink(hostFile) }
                try t.makeGuest("src", start: true)
                defer { _ = try? t.agent.stop("src", timeout: 5) }
                let planted = try t.run("src", "mkdir -p /data && ln -s \(hostFile) /data/host && ln -s / /data/root "
                                        + "&& ln -s /etc/shadow /data/shadow && ln -s . /data/loop && mkfifo /data/pipe "
                                        + "&& echo kept > /data/file")
                try #require(planted.exitCode == 0, "\(planted.stderr)")

                let started = Date()
                let size = try t.agent.layerSize("src", staging: false)
                #expect(Date().timeIntervalSince(started) < 20, "the count blocked")
                let manifest = try t.agent.layerManifest("src", staging: false)
                #expect(size.entries == manifest.count)
                #expect(size.fileBytes == manifest.filter { $0.kind == .file }.reduce(0) { $0 + $1.size })
                #expect(size.fileBytes < 1 << 20, "the count took the host file's 3 MiB through the guest's link: \(size.fileBytes)")
                for name in ["data/host", "data/root", "data/shadow", "data/loop"] {
                    #expect(manifest.first { $0.path == name }?.kind == .symlink, "\(name) is not a link in the manifest")
                }

                try Data(repeating: 8, count: 6 << 20).write(to: URL(fileURLWithPath: hostFile))
                #expect(try t.agent.layerSize("src", staging: false) == size, "the count read the host file through the guest's link")
            }
        }
    }
}
