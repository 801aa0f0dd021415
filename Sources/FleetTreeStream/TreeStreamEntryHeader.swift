import FleetTree
import Glibc

/// The header of an entry record (path, mode, owner, time, attributes), as
/// the applier read and checked it; shared with its writer threads.
struct TreeStreamEntryHeader {
    var path: [UInt8]
    var components: [[UInt8]]
    var display: String
    var mode: UInt32
    var uid: UInt32
    var gid: UInt32
    var modified: timespec
    var attributes: [ExtendedAttribute]
    var name: [UInt8] { components[components.count - 1] }
}
