extension RPC {
    public struct GuestCreate: AgentMethod {
        public static let name = "guest.create"
        public typealias Result = GuestOperationResult
        public var params: GuestCreateParams
        public init(spec: GuestSpec) { params = GuestCreateParams(spec: spec) }
    }

    public struct GuestStart: AgentMethod {
        public static let name = "guest.start"
        public typealias Result = GuestOperationResult
        public var params: NameParams
        public init(name: String) { params = NameParams(name: name) }
    }

    public struct GuestStop: AgentMethod {
        public static let name = "guest.stop"
        public typealias Result = GuestOperationResult
        public var params: GuestStopParams
        public init(name: String, timeoutSeconds: Double? = nil) { params = GuestStopParams(name: name, timeoutSeconds: timeoutSeconds) }
    }

    public struct GuestRestart: AgentMethod {
        public static let name = "guest.restart"
        public typealias Result = GuestOperationResult
        public var params: GuestStopParams
        public init(name: String, timeoutSeconds: Double? = nil) { params = GuestStopParams(name: name, timeoutSeconds: timeoutSeconds) }
    }

    public struct GuestDestroy: AgentMethod {
        public static let name = "guest.destroy"
        public typealias Result = GuestOperationResult
        public var params: GuestDestroyParams
        public init(name: String, force: Bool? = nil) { params = GuestDestroyParams(name: name, force: force) }
    }

    public struct GuestExec: AgentMethod {
        public static let name = "guest.exec"
        public typealias Result = GuestExecResult
        public var params: GuestExecParams
        public init(_ params: GuestExecParams) { self.params = params }
    }

    public struct GuestList: AgentMethod {
        public static let name = "guest.list"
        public typealias Result = [FleetProtocol.GuestStatus]
        public var params = EmptyParams()
        public init() {}
    }

    public struct GuestStatus: AgentMethod {
        public static let name = "guest.status"
        public typealias Result = FleetProtocol.GuestStatus
        public var params: NameParams
        public init(name: String) { params = NameParams(name: name) }
    }
}
