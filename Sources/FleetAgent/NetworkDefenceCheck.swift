import FleetKernel
import FleetProtocol

/// The network defences in `vfleet-agent check`: what the kernel offers for
/// each, and what the agent does without it (docs/guide/networking.md).
enum NetworkDefenceCheck {
    static func requirements(layout: CgroupLayout?) -> [KernelRequirement] {
        var reqs: [KernelRequirement] = []
        let unified = layout?.unified != nil
        let refusal = unified ? SocketAddressFilter.kernelRefusal() : "no cgroup v2 hierarchy to attach programs to"
        reqs.append(KernelRequirement(
            name: "cgroup socket hooks", verdict: refusal == nil ? .present : .optional,
            purpose: "isolated guests: binds, connects and UDP sources confined to the guest's addresses; listeners and autobound sockets see only packets for them",
            detail: refusal ?? "cgroup/bind4, connect4, sendmsg4, bind6, connect6, sendmsg6, sock_create, cgroup_skb/ingress load",
            fallback: refusal == nil ? nil : "isolated guests do not start (nothing would confine them); use --net private or none"))
        let abi = LandlockScope.abi()
        let scoped = (abi ?? 0) >= LandlockScope.abstractUnixABI
        reqs.append(KernelRequirement(
            name: "Landlock abstract unix scope", verdict: scoped ? .present : .optional,
            purpose: "guests on the host's network (isolated, host) cannot connect to the host's abstract unix sockets",
            detail: abi.map { $0 == 0 ? "Landlock not built in or not in the active LSMs (lsm=…,landlock)" : "Landlock ABI \($0)" + (scoped ? "" : ", scoping needs ABI \(LandlockScope.abstractUnixABI) (Linux 6.12)") } ?? "asking the kernel failed",
            fallback: scoped ? nil : "guests run unscoped: isolated and host guests reach the host's abstract unix sockets; private and none guests have a network namespace (and abstract socket names) of their own"))
        return reqs
    }
}
