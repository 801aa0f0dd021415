import CFleetShim

/// Landlock as the shim uses it: every guest's init and every command
/// entered into a guest run in a Landlock domain scoped for abstract unix
/// sockets (fleet_landlock.h), so a guest sharing the host's network
/// namespace cannot connect to the host's abstract sockets.
public enum LandlockScope {
    /// The ABI that scopes abstract unix sockets (Linux 6.12).
    public static let abstractUnixABI = Int(VF_LANDLOCK_SCOPE_ABI)

    /// The kernel's Landlock ABI: 0 when Landlock is not built in or not
    /// among the active LSMs; nil when asking failed.
    public static func abi() -> Int? {
        let abi = vf_landlock_abi()
        return abi < 0 ? nil : Int(abi)
    }

    /// Whether guests' abstract unix sockets are scoped on this kernel.
    public static var scopesAbstractUnixSockets: Bool { (abi() ?? 0) >= abstractUnixABI }
}
