extension RPC {
    public struct TemplateList: AgentMethod {
        public static let name = "template.list"
        public typealias Result = [TemplateInfo]
        public var params = EmptyParams()
        public init() {}
    }

    public struct TemplateBuild: AgentMethod {
        public static let name = "template.build"
        public typealias Result = TemplateInfo
        public var params: TemplateBuildParams
        public init(kind: String, name: String) { params = TemplateBuildParams(kind: kind, name: name) }
    }

    public struct TemplateImport: AgentMethod {
        public static let name = "template.import"
        public typealias Result = TemplateInfo
        public var params: TemplateImportParams
        public init(name: String, path: String) { params = TemplateImportParams(name: name, path: path) }
    }

    public struct TemplateRemove: AgentMethod {
        public static let name = "template.remove"
        public typealias Result = EmptyResult
        public var params: NameParams
        public init(name: String) { params = NameParams(name: name) }
    }

    /// Bulk: exactly `bytes` bytes of tar archive follow the request line.
    public struct TemplateReceive: AgentMethod {
        public static let name = "template.receive"
        public static let isBulk = true
        public typealias Result = TemplateInfo
        public var params: TemplateReceiveParams
        public init(name: String, digest: String, bytes: UInt64) { params = TemplateReceiveParams(name: name, digest: digest, bytes: bytes) }
    }
}
