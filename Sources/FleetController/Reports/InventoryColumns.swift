import FleetProtocol

/// The columns `vfleet inventory --format table` prints: `--columns` names
/// them as `host.FIELD` and `guest.FIELD`, in the order wanted. A table none
/// of whose columns is named is left out.
public struct InventoryColumns: Sendable, Equatable {
    public var hosts: [InventoryHostColumn]
    public var guests: [InventoryGuestColumn]

    public init(hosts: [InventoryHostColumn], guests: [InventoryGuestColumn]) {
        self.hosts = hosts
        self.guests = guests
    }

    public static let standard = InventoryColumns(hosts: InventoryHostColumn.standard, guests: InventoryGuestColumn.standard)

    /// Every name `--columns` accepts, in the order `--help` lists them.
    public static var allNames: [String] {
        InventoryHostColumn.allCases.map { "host.\($0.rawValue)" } + InventoryGuestColumn.allCases.map { "guest.\($0.rawValue)" }
    }

    /// "host.name,host.kernel,guest.name": commas between names, spaces allowed.
    public static func parse(_ list: String) throws(FleetError) -> InventoryColumns {
        var columns = InventoryColumns(hosts: [], guests: [])
        let names = list.split(separator: ",").map { $0.withoutSpacesAround() }.filter { !$0.isEmpty }
        guard !names.isEmpty else {
            throw .invalid("--columns is empty (name fields such as host.name,guest.name; see vfleet inventory --help)")
        }
        for name in names {
            if name.hasPrefix("host."), let column = InventoryHostColumn(rawValue: String(name.dropFirst(5))) {
                if !columns.hosts.contains(column) { columns.hosts.append(column) }
            } else if name.hasPrefix("guest."), let column = InventoryGuestColumn(rawValue: String(name.dropFirst(6))) {
                if !columns.guests.contains(column) { columns.guests.append(column) }
            } else {
                throw .invalid("unknown inventory column \(name) (known: \(allNames.joined(separator: ", ")))")
            }
        }
        return columns
    }
}

extension Substring {
    fileprivate func withoutSpacesAround() -> String {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
