import ArgumentParser
import FleetAgent
import FleetCLI
import FleetProtocol
import FleetRootfs
import FleetTree
import Foundation

struct TemplateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "template",
        abstract: "Build, import, list and remove templates (read-only guest roots).",
        subcommands: [TemplateBuildCommand.self, TemplateImportCommand.self, TemplateListCommand.self, TemplateRemoveCommand.self])
}

struct TemplateBuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a template: busybox, or Debian with debootstrap.",
        discussion: """
        busybox: a ~2 MB root around Debian's busybox-static (apt-get install busybox-static).
        debian: `debootstrap --variant=VARIANT --include=PKGS SUITE` from the Debian archive this machine's apt \
        uses (or --mirror); about 40 s and 200-250 MB for minbase. minbase has no init: add \
        --include systemd-sysv (systemd) or sysvinit-core (sysvinit). The tree is Debian's own, minus the device \
        nodes debootstrap made (vfleet gives each guest its /dev) and the build host's /etc/hostname. \
        debootstrap's output is kept in the template's directory as debootstrap.log.
        """)

    @OptionGroup var options: AgentOptions
    @Argument(help: "What to build from: busybox or debian.") var kind: String
    @Argument(help: "Template name ([a-z0-9][a-z0-9-]{0,62}).") var name: String
    @Option(help: "debian: the suite.") var suite: String = "bookworm"
    @Option(help: "debian: debootstrap's variant (minbase, buildd, or - for its default).") var variant: String = "minbase"
    @Option(help: ArgumentHelp("debian: extra packages, comma-separated (repeatable), e.g. systemd-sysv,openssh-server.", valueName: "PKGS"))
    var include: [String] = []
    @Option(help: "debian: the archive to fetch from (default: the Debian archive in this machine's apt sources).") var mirror: String?
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func validate() throws {
        if kind != "debian" && (suite != "bookworm" || variant != "minbase" || !include.isEmpty || mirror != nil) {
            throw ValidationError("--suite, --variant, --include and --mirror are for `template build debian`")
        }
    }

    func run() throws {
        let agent = try options.agent()
        let debian = DebianBuildOptions(suite: suite, variant: variant,
                                        include: include.flatMap { $0.split(separator: ",").map(String.init) }, mirror: mirror)
        if kind == "debian" && format != .json {
            FileHandle.standardError.write(Data("debootstrap \(suite) (\(variant)) for template \(name); this takes a minute or so...\n".utf8))
        }
        let info = try fleet { () throws(FleetError) in try agent.buildTemplate(kind: kind, name: name, debian: debian) }
        printTemplate(info, format: format)
    }
}

struct TemplateImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a root file system from a directory or a tar archive.",
        discussion: "Archives may be gzip, xz, zstd or bzip2 compressed. Refused, and nothing kept: paths with '..', absolute member paths, device nodes, hard links out of the tree, symlinks that climb above the root, members written through a symlink.")

    @OptionGroup var options: AgentOptions
    @Argument(help: "Template name.") var name: String
    @Argument(help: "A directory or a tar archive.") var path: String
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let agent = try options.agent()
        let info = try fleet { () throws(FleetError) in try agent.importTemplate(name: name, path: path) }
        printTemplate(info, format: format)
    }
}

struct TemplateListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List templates with their digests.")

    @OptionGroup var options: AgentOptions
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let list = try options.agent().templates.list()
        if format == .json { return printJSON(list) }
        var t = Table(["NAME", "FILES", "SIZE", "INIT", "DIGEST"])
        for i in list {
            t.add([i.name, String(i.fileCount), ByteSize.format(i.totalBytes), i.initStyle.rawValue, String(i.digest.prefix(16))])
        }
        print(t.render())
    }
}

struct TemplateRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove a template (refused while a guest uses it).")

    @OptionGroup var options: AgentOptions
    @Argument(help: "Template name.") var name: String

    func run() throws {
        let agent = try options.agent()
        try fleet { () throws(FleetError) in try agent.removeTemplate(name) }
        print("removed template \(name)")
    }
}

func printTemplate(_ info: TemplateInfo, format: OutputFormat) {
    if format == .json { return printJSON(info) }
    print("template \(info.name): \(info.fileCount) files, \(ByteSize.format(info.totalBytes)), init \(info.initStyle.rawValue) \(info.defaultInit.joined(separator: " "))")
    print("digest sha256:\(info.digest)")
}
