/// What the replica's SQLite side reports to the replica, which turns it
/// into an operator's error naming the file and what to do.
enum ReplicaFailure: Error {
    /// SQLite refused something of the replica's own bookkeeping.
    case local(String)
    /// Log entry `seq` does not apply here: this replica has diverged.
    case diverged(seq: Int64, detail: String)
}
