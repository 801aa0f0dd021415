import FleetProtocol
import FleetSSH

extension Controller {
    /// Makes the controller's ed25519 key at the identity path.
    public func generateKey() throws(FleetError) {
        do { try SSHKeys.generateEd25519(at: settings.identityFile, comment: "vfleet-controller") } catch {
            throw .failed("cannot make the controller key \(settings.identityFile): \(error.message)")
        }
    }

    /// The authorized_keys line for hosts: the key may only run the agent.
    public func authorizedKeysLine(agentPath: String) throws(FleetError) -> String {
        let pub: String
        do { pub = try SSHKeys.publicKeyLine(privateKeyFile: settings.identityFile, comment: "vfleet-controller") } catch {
            throw .failed("cannot read the controller key \(settings.identityFile): \(error.message) (vfleet key generate)")
        }
        return "command=\"\(agentPath) rpc\",no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding,no-user-rc \(pub)"
    }
}
