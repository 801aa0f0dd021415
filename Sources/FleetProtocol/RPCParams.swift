/// Params of one RPC method. `fields` lists every key it accepts: anything
/// else in a request is refused, so that a typo never silently does nothing.
public protocol RPCParams: Codable, Sendable {
    static var fields: Set<String> { get }
}

extension RPCParams {
    /// Decodes params strictly: unknown keys and wrong types are errors that
    /// name the method and the field.
    public static func decode(_ params: JSONValue?, method: String) throws(FleetError) -> Self {
        let value = params ?? .object([:])
        if case .object(let object) = value {
            if let unknown = object.keys.filter({ !fields.contains($0) }).sorted().first {
                let allowed = fields.isEmpty ? "none" : fields.sorted().joined(separator: ", ")
                throw .invalid("\(method): unknown parameter \"\(unknown)\" (allowed: \(allowed))")
            }
        }
        do {
            return try value.decode(Self.self)
        } catch let DecodingError.keyNotFound(key, _) {
            throw .invalid("\(method): missing parameter \"\(key.stringValue)\"")
        } catch let DecodingError.typeMismatch(_, context) {
            throw .invalid("\(method): parameter \"\(context.codingPath.map(\.stringValue).joined(separator: "."))\" has the wrong type")
        } catch let DecodingError.valueNotFound(_, context) {
            throw .invalid("\(method): parameter \"\(context.codingPath.map(\.stringValue).joined(separator: "."))\" is null")
        } catch let DecodingError.dataCorrupted(context) {
            throw .invalid("\(method): parameter \"\(context.codingPath.map(\.stringValue).joined(separator: "."))\" is invalid: \(context.debugDescription)")
        } catch {
            throw .invalid("\(method): invalid parameters: \(error)")
        }
    }
}

public struct EmptyParams: RPCParams, Equatable {
    public static let fields: Set<String> = []
    public init() {}
}

public struct HelloParams: RPCParams, Equatable {
    public static let fields: Set<String> = ["protocolVersion", "client", "facts"]
    public var protocolVersion: Int
    public var client: String?
    /// false: skip the host facts (templates, guests, usage); for bulk
    /// channels, which only need the handshake.
    public var facts: Bool?
    public init(protocolVersion: Int = ProtocolVersion.current, client: String? = nil, facts: Bool? = nil) {
        self.protocolVersion = protocolVersion
        self.client = client
        self.facts = facts
    }
}

public struct NameParams: RPCParams, Equatable {
    public static let fields: Set<String> = ["name"]
    public var name: String
    public init(name: String) { self.name = name }
}

public struct TemplateBuildParams: RPCParams, Equatable {
    public static let fields: Set<String> = ["kind", "name"]
    /// "busybox" for now.
    public var kind: String
    public var name: String
    public init(kind: String, name: String) {
        self.kind = kind
        self.name = name
    }
}

public struct TemplateImportParams: RPCParams, Equatable {
    public static let fields: Set<String> = ["name", "path"]
    public var name: String
    /// A directory or tar archive on the agent's host.
    public var path: String
    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }
}

public struct GuestCreateParams: RPCParams, Equatable {
    public static let fields: Set<String> = ["spec"]
    public var spec: GuestSpec
    public init(spec: GuestSpec) { self.spec = spec }
}

public struct GuestStopParams: RPCParams, Equatable {
    public static let fields: Set<String> = ["name", "timeoutSeconds"]
    public var name: String
    public var timeoutSeconds: Double?
    public init(name: String, timeoutSeconds: Double? = nil) {
        self.name = name
        self.timeoutSeconds = timeoutSeconds
    }
}

public struct GuestDestroyParams: RPCParams, Equatable {
    public static let fields: Set<String> = ["name", "force"]
    public var name: String
    public var force: Bool?
    public init(name: String, force: Bool? = nil) {
        self.name = name
        self.force = force
    }
}

public struct GuestExecParams: RPCParams, Equatable {
    public static let fields: Set<String> = ["name", "argv", "stdin", "timeoutSeconds", "env"]
    public var name: String
    public var argv: [String]
    /// Text written to the command's standard input, then closed.
    public var stdin: String?
    /// The command is killed after this long (default 60 s).
    public var timeoutSeconds: Double?
    /// Extra NAME=VALUE entries.
    public var env: [String]?
    public init(name: String, argv: [String], stdin: String? = nil, timeoutSeconds: Double? = nil, env: [String]? = nil) {
        self.name = name
        self.argv = argv
        self.stdin = stdin
        self.timeoutSeconds = timeoutSeconds
        self.env = env
    }
}

public struct GuestExecResult: Codable, Sendable, Equatable {
    public var exitCode: Int
    public var stdout: String
    public var stderr: String
    public var timedOut: Bool
    public init(exitCode: Int, stdout: String, stderr: String, timedOut: Bool) {
        self.exitCode = exitCode
        self.stdout = stdout
        self.stderr = stderr
        self.timedOut = timedOut
    }
}

/// Result of start, stop, restart, destroy and create: the guest's status
/// after the operation, plus anything the operator should know.
public struct GuestOperationResult: Codable, Sendable, Equatable {
    public var guest: GuestStatus?
    public var warnings: [String]
    public init(guest: GuestStatus?, warnings: [String] = []) {
        self.guest = guest
        self.warnings = warnings
    }
}

/// The method names of protocol version 1, read from the method types
/// (Contract/): each name is written once, there.
public enum RPCMethod {
    public static let hello = RPC.Hello.name
    public static let check = RPC.Check.name
    public static let templateList = RPC.TemplateList.name
    public static let templateBuild = RPC.TemplateBuild.name
    public static let templateImport = RPC.TemplateImport.name
    public static let templateRemove = RPC.TemplateRemove.name
    public static let templateReceive = RPC.TemplateReceive.name
    public static let guestCreate = RPC.GuestCreate.name
    public static let guestStart = RPC.GuestStart.name
    public static let guestStop = RPC.GuestStop.name
    public static let guestRestart = RPC.GuestRestart.name
    public static let guestDestroy = RPC.GuestDestroy.name
    public static let guestExec = RPC.GuestExec.name
    public static let guestList = RPC.GuestList.name
    public static let guestStatus = RPC.GuestStatus.name
    public static let guestExport = RPC.GuestExport.name
    public static let guestImport = RPC.GuestImport.name
    public static let guestManifest = RPC.GuestManifest.name
    public static let guestDigest = RPC.GuestDigest.name
    public static let guestPrehash = RPC.GuestPrehash.name
    public static let guestAdopt = RPC.GuestAdopt.name
    public static let guestStage = RPC.GuestStage.name
    public static let guestDiscardStaging = RPC.GuestDiscardStaging.name

    public static let all = RPC.methods.map { $0.name }

    /// Methods whose request or response carries a raw stream after the line.
    public static let bulk = Set(RPC.methods.filter { $0.isBulk }.map { $0.name })
}

/// template.receive: the request line is followed on the same stream by
/// exactly `bytes` bytes of tar archive.
public struct TemplateReceiveParams: RPCParams, Equatable {
    public static let fields: Set<String> = ["name", "digest", "bytes"]
    public var name: String
    /// The tree digest the template must have once extracted.
    public var digest: String
    public var bytes: UInt64
    public init(name: String, digest: String, bytes: UInt64) {
        self.name = name
        self.digest = digest
        self.bytes = bytes
    }
}
