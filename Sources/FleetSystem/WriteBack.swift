import CFleetSystem

/// Starting a file's write-back early, so that a later sync of its file
/// system waits for less (sync_file_range(2), which Swift's Glibc module
/// does not show).
public enum WriteBack {
    /// Starts writing back `fd`'s dirty pages and returns without waiting.
    /// Not durability: only a later fsync or syncfs makes the data durable;
    /// this only lets the disk work while the caller goes on. Best effort.
    public static func start(_ fd: Int32) {
        _ = fleet_start_writeback(fd)
    }
}
