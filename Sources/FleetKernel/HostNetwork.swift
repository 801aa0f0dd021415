import Foundation

/// The host side of guest networks: addresses of isolated guests on the
/// host's interfaces, bridges and veth pairs of private guests. Addresses
/// are text ("10.0.0.5", "10.0.0.5/24"), validated by the caller.
public enum HostNetwork {
    /// The interface holding `address` on this host, if any, and its prefix.
    public static func holder(of address: String) -> (device: String, prefix: Int)? {
        let out = NetworkCommand.capture([NetworkCommand.ip, "-o", "-4", "addr", "show"])
        // "2: eth0    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0\ ..."
        for line in out.stdout.split(separator: "\n") {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard words.count >= 4, let i = words.firstIndex(of: "inet"), i + 1 < words.count else { continue }
            let parts = words[i + 1].split(separator: "/")
            guard parts.first.map(String.init) == address else { continue }
            let device = String(words[1]).split(separator: "@").first.map(String.init) ?? String(words[1])
            return (device, parts.count > 1 ? Int(parts[1]) ?? 32 : 32)
        }
        return nil
    }

    /// The interface the host would send to `address` through: where an
    /// isolated guest's address belongs.
    public static func routeDevice(to address: String) throws(KernelError) -> String {
        let out = try NetworkCommand.run([NetworkCommand.ip, "-o", "-4", "route", "get", address],
                                         "find the interface for", address,
                                         hint: "give the host a route to it, or choose an address in one of its networks")
        let words = out.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard let i = words.firstIndex(of: "dev"), i + 1 < words.count else {
            throw KernelError("find the interface for", address, errno: 0, hint: "`ip route get` named none")
        }
        return String(words[i + 1])
    }

    public static func addAddress(_ cidr: String, device: String) throws(KernelError) {
        try NetworkCommand.run([NetworkCommand.ip, "addr", "add", cidr, "dev", device],
                               "add address", "\(cidr) to \(device)")
    }

    public static func removeAddress(_ cidr: String, device: String) throws(KernelError) {
        try NetworkCommand.run([NetworkCommand.ip, "addr", "del", cidr, "dev", device],
                               "remove address", "\(cidr) from \(device)")
    }

    /// Unsolicited ARP, so that neighbours learn at once that the address now
    /// lives here (after a move the old host's MAC would linger in their
    /// caches). Best effort: a missing arping only delays the switch.
    public static func announce(_ address: String, device: String) {
        let tools: [[String]] = [["/usr/sbin/arping", "-U", "-c", "1", "-I", device, address],
                                 ["/bin/busybox", "arping", "-U", "-c", "1", "-I", device, address]]
        for argv in tools where FileManager.default.isExecutableFile(atPath: argv[0]) {
            if NetworkCommand.capture(argv).status == 0 { return }
        }
    }

    /// Creates the bridge when missing; with `gateway`, gives it that address
    /// when no interface of the host has it, so the guests' default route
    /// leads to this host.
    public static func ensureBridge(_ name: String, gateway: String?) throws(KernelError) {
        switch linkKind(name) {
        case .none:
            let out = NetworkCommand.capture([NetworkCommand.ip, "link", "add", name, "type", "bridge"])
            // Another guest may have made it at the same moment.
            if out.status != 0 && linkKind(name) != .some("bridge") {
                throw KernelError("create bridge", name, errno: 0, hint: out.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        case .some("bridge"):
            break
        case .some:
            throw KernelError("use bridge", name, errno: 0, hint: "\(name) exists and is not a bridge (choose another --bridge)")
        }
        try NetworkCommand.run([NetworkCommand.ip, "link", "set", name, "up"], "bring up bridge", name)
        if let gateway, let bare = gateway.split(separator: "/").first, holder(of: String(bare)) == nil {
            try addAddress(gateway, device: name)
        }
    }

    /// The kind of interface `name` in this process's network namespace
    /// ("bridge", "veth", "" for a plain device), nil when there is none.
    /// Asked of the kernel (netlink), not of /sys/class/net, which shows the
    /// namespace /sys was mounted in, not necessarily ours.
    static func linkKind(_ name: String) -> String? {
        let out = NetworkCommand.capture([NetworkCommand.ip, "-d", "-o", "link", "show", "dev", name])
        guard out.status == 0, !out.stdout.isEmpty else { return nil }
        // One line, its parts joined by a backslash: the link, "link/ether ...",
        // then for a bridge "bridge forward_delay ...", for a veth "veth ...".
        let firstWords = out.stdout.components(separatedBy: "\\").dropFirst().compactMap { $0.split(separator: " ").first.map(String.init) }
        return firstWords.first { $0 == "bridge" || $0 == "veth" } ?? ""
    }

    /// Deletes an interface if it exists (a veth pair goes as one).
    public static func removeLink(_ name: String) {
        guard linkKind(name) != nil else { return }
        _ = NetworkCommand.capture([NetworkCommand.ip, "link", "del", name])
    }

    /// A veth pair from `bridge` into the network namespace of `pid` (a guest
    /// init held before exec): eth0 inside with the addresses and the default
    /// route. The guest's end goes when its namespace goes; the host's end
    /// with it (a veth pair dies as one).
    public static func plumbPrivate(pid: pid_t, bridge: String, hostSide: String, addresses: [String],
                                    gateway: String?) throws(KernelError) {
        let guestSide = hostSide + "p"
        // A pair left by a crash would block the name; its guest is gone.
        removeLink(hostSide)
        try NetworkCommand.run([NetworkCommand.ip, "link", "add", hostSide, "type", "veth", "peer", "name", guestSide],
                               "create veth pair", hostSide)
        do {
            try NetworkCommand.run([NetworkCommand.ip, "link", "set", hostSide, "master", bridge, "up"], "attach veth \(hostSide) to bridge", bridge)
            try NetworkCommand.run([NetworkCommand.ip, "link", "set", guestSide, "netns", String(pid)], "move veth into the guest", guestSide)
            try NetworkCommand.run(NetworkCommand.ipIn(pid, ["link", "set", guestSide, "name", "eth0"]), "rename the guest's veth", guestSide)
            for a in addresses {
                try NetworkCommand.run(NetworkCommand.ipIn(pid, ["addr", "add", a, "dev", "eth0"]), "add the guest's address", a)
            }
            try NetworkCommand.run(NetworkCommand.ipIn(pid, ["link", "set", "lo", "up"]), "bring up the guest's", "lo")
            try NetworkCommand.run(NetworkCommand.ipIn(pid, ["link", "set", "eth0", "up"]), "bring up the guest's", "eth0")
            if let gateway {
                try NetworkCommand.run(NetworkCommand.ipIn(pid, ["route", "add", "default", "via", gateway]), "add the guest's default route via", gateway)
            }
        } catch {
            _ = NetworkCommand.capture([NetworkCommand.ip, "link", "del", hostSide])
            throw error
        }
    }
}
