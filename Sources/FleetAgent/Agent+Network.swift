import FleetKernel
import FleetProtocol
import Foundation

/// Guest networks on this host (docs/guide/networking.md):
/// isolated guests share the host's stack, their addresses sit on a host
/// interface and a cgroup socket filter confines them to those; private
/// guests get a namespace of their own with a veth into a host bridge.
extension Agent {
    /// What a start needs for the guest's network.
    struct NetworkPlan: Sendable {
        var newNamespace = false
        var filter: SocketAddressFilter?
        var beforeRelease: (@Sendable (pid_t) throws(KernelError) -> Void)?
    }

    /// Addresses this agent put on host interfaces for a guest, so that stop
    /// removes exactly those (never an address the host had of its own).
    struct HostAddresses: Codable, Sendable {
        var device: String
        var addresses: [String]
    }

    func hostAddressesFile(_ name: String) -> String { paths.guest(name) + "/host-addresses.json" }

    /// Refuses an address another guest of this host has.
    func checkAddressesFree(_ spec: GuestSpec) throws(FleetError) {
        let mine = Set(spec.interfaceAddresses.map(\.address))
        guard !mine.isEmpty else { return }
        for other in guests.all() where other.spec.name != spec.name {
            if let clash = other.spec.interfaceAddresses.map(\.address).first(where: mine.contains) {
                throw .conflict("guest \(spec.name): address \(clash) belongs to guest \(other.spec.name) on this host (choose another --ip)")
            }
        }
    }

    func prepareNetwork(_ record: GuestRecord) throws(FleetError) -> NetworkPlan {
        let spec = record.spec
        let name = spec.name
        var plan = NetworkPlan()
        switch spec.network {
        case .host:
            return plan
        case .none:
            plan.newNamespace = true
            return plan
        case .isolated:
            try checkAddressesFree(spec)
            let cidrs = spec.interfaceAddresses
            do {
                plan.filter = try SocketAddressFilter(addresses: cidrs.map { $0.address.description })
            } catch {
                throw .invalid("cannot start guest \(name): \(error)")
            }
            var added = (try? AtomicFile.readJSON(HostAddresses.self, from: hostAddressesFile(name))) ?? HostAddresses(device: "", addresses: [])
            for cidr in cidrs {
                let a = cidr.address.description
                if let held = HostNetwork.holder(of: a) {
                    // Ours from an earlier start whose stop never ran (the
                    // guest ended on its own): keep it.
                    if added.addresses.contains(cidr.description) && held.device == added.device { continue }
                    releaseNetwork(name)
                    throw .conflict("cannot start guest \(name): address \(a) is already in use on this host (on \(held.device)); choose another --ip")
                }
                let device: String
                do { device = added.device.isEmpty ? try HostNetwork.routeDevice(to: a) : added.device } catch {
                    releaseNetwork(name)
                    throw .failed("cannot start guest \(name): \(error)")
                }
                added.device = device
                if !added.addresses.contains(cidr.description) { added.addresses.append(cidr.description) }
                // Recorded before it is made: a crash between the two leaves
                // a record of an address that is not there, which stop skips.
                try AtomicFile.writeJSON(added, to: hostAddressesFile(name))
                do { try HostNetwork.addAddress(cidr.description, device: device) } catch {
                    releaseNetwork(name)
                    throw .failed("cannot start guest \(name): \(error)")
                }
            }
            return plan
        case .private:
            let cidrs = spec.interfaceAddresses
            let bridge = spec.bridge ?? GuestSpec.defaultBridge
            let gateway = spec.gateway
            let gatewayCIDR = gateway.map { "\($0)/\(cidrs[0].prefix)" }
            // The bridge is shared by every private guest: made under the agent's lock.
            let lock = try lock()
            defer { withExtendedLifetime(lock) {} }
            do { try HostNetwork.ensureBridge(bridge, gateway: gatewayCIDR) } catch {
                throw .failed("cannot start guest \(name): \(error)")
            }
            let hostSide = privateLinkName(record)
            let addresses = cidrs.map(\.description)
            plan.newNamespace = true
            plan.beforeRelease = { pid throws(KernelError) in
                try HostNetwork.plumbPrivate(pid: pid, bridge: bridge, hostSide: hostSide, addresses: addresses, gateway: gateway)
            }
            return plan
        }
    }

    /// The host end of a private guest's veth pair.
    func privateLinkName(_ record: GuestRecord) -> String { "vfg\(record.contextId)" }

    /// Tells the neighbours where the isolated guest's addresses live now.
    func announceNetwork(_ name: String) {
        guard let added = try? AtomicFile.readJSON(HostAddresses.self, from: hostAddressesFile(name)) else { return }
        for cidr in added.addresses {
            HostNetwork.announce(String(cidr.split(separator: "/")[0]), device: added.device)
        }
    }

    /// Removes the host addresses this agent added for the guest, and a
    /// private guest's veth pair: the kernel would drop it with the guest's
    /// namespace, but only later, from a work queue; stop means gone.
    func releaseNetwork(_ name: String) {
        if let record = try? guests.load(name), record.spec.network == .private {
            HostNetwork.removeLink(privateLinkName(record))
        }
        let file = hostAddressesFile(name)
        guard let added = try? AtomicFile.readJSON(HostAddresses.self, from: file) else { return }
        for cidr in added.addresses {
            let bare = String(cidr.split(separator: "/")[0])
            if HostNetwork.holder(of: bare)?.device == added.device {
                try? HostNetwork.removeAddress(cidr, device: added.device)
            }
        }
        unlink(file)
    }
}
