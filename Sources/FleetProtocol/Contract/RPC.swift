/// The agent's methods (protocol version 1), one type each; `methods` is
/// the contract both sides are built from.
public enum RPC {
    /// Every method, in the order `unknown method` errors list them.
    public static let methods: [any AgentMethod.Type] = [
        Hello.self, Check.self, TemplateList.self, TemplateBuild.self, TemplateImport.self, TemplateRemove.self, TemplateReceive.self,
        GuestCreate.self, GuestStart.self, GuestStop.self, GuestRestart.self, GuestDestroy.self, GuestExec.self,
        GuestList.self, GuestStatus.self, GuestExport.self, GuestImport.self, GuestManifest.self, GuestDigest.self, GuestPrehash.self,
        GuestReceiverManifest.self,
        GuestAdopt.self, GuestStage.self, GuestDiscardStaging.self,
        TransferKeyMethod.self, TransferListen.self, TransferSend.self, TransferWait.self, TransferProgressMethod.self,
        TransferListenTemplate.self, TransferSendTemplate.self, TransferWaitTemplate.self,
        ReplicaListen.self, ReplicaSend.self, ReplicaWait.self, ReplicaShow.self, ReplicaDrop.self, ReplicaPromote.self,
        ReplicaList.self,
        ReplicaRelaySend.self, ReplicaRelayReceive.self,
    ]

    public static func method(named name: String) -> (any AgentMethod.Type)? {
        methods.first { $0.name == name }
    }
}
