import FleetKernel
import FleetProtocol
import Foundation
import Glibc

extension Agent {
    /// The disk of a guest's layer; nil for a guest without --disk.
    func layerDisk(of record: GuestRecord) -> GuestLayerDisk? {
        guard record.spec.limits.diskBytes != nil else { return nil }
        return layerDisk(name: record.spec.name)
    }

    func layerDisk(name: String) -> GuestLayerDisk {
        GuestLayerDisk(directory: paths.guest(name), what: "guest \(name)", lockFile: paths.guestDiskLockFile(name))
    }

    func stagedLayerDisk(_ name: String) -> GuestLayerDisk {
        GuestLayerDisk(directory: staging(name), what: "the incoming copy of guest \(name)",
                       lockFile: paths.guestDiskLockFile(".incoming-" + name))
    }

    /// The overlay's upper and work directories: on the guest's disk when it
    /// has one (mounted here if need be), else on the state file system.
    func layerDirectories(of record: GuestRecord) throws(FleetError) -> (upper: String, work: String) {
        guard let disk = layerDisk(of: record) else {
            return (paths.guestUpper(record.spec.name), paths.guestWork(record.spec.name))
        }
        try disk.mount()
        return (disk.upper, disk.work)
    }

    /// destroy: the disk's mount goes, whoever still reads it.
    func unmountLayerDisk(_ name: String) {
        let disk = layerDisk(name: name)
        if disk.isMounted { disk.unmount() }
    }

    /// Once nothing of the guest runs (the caller holds its lock): its
    /// disk's mount goes, unless a reader of its layer (a move's export or
    /// digest) still works in it; the last reader unmounts it then.
    func unmountIdleLayerDisk(_ name: String) {
        let disk = layerDisk(name: name)
        guard disk.isMounted, let readers = LayerReaders(file: paths.guestDiskReadersFile(name)), readers.noneOther() else { return }
        disk.unmount()
        withExtendedLifetime(readers) {}
    }

    /// A read of the guest's own layer (export, manifest, digest, prehash):
    /// a guest's disk is mounted for it and, when the last reader ends and
    /// the guest does not run, unmounted again: a stopped guest keeps no
    /// mount. The caller ends it (`defer { reading.end() }`).
    func readLayer(_ name: String, staging fromStaging: Bool) throws(FleetError) -> LayerReading {
        try Names.validate(name, kind: "guest")
        guard !fromStaging, layerDisk(name: name).exists else {
            return LayerReading(directory: try layer(name, staging: fromStaging), release: nil)
        }
        guard let readers = LayerReaders(file: paths.guestDiskReadersFile(name)) else {
            throw .failed("cannot lock \(paths.guestDiskReadersFile(name)): \(String(cString: strerror(errno)))")
        }
        readers.share()
        return LayerReading(directory: try layer(name, staging: false)) { [self] in
            if readers.noneOther(), let lock = try? guestLock(name), !cgroup(of: name).isPopulated {
                layerDisk(name: name).unmount()
                withExtendedLifetime(lock) {}
            }
        }
    }
}

/// A move of a guest made with --disk (guest.stage, guest.import, adopt).
extension Agent {
    /// The layer on its disk, mounted, when the guest (or its incoming
    /// copy) has one; nil when its layer lives on the state file system.
    func diskLayer(_ name: String, staging fromStaging: Bool) throws(FleetError) -> String? {
        let disk = fromStaging ? stagedLayerDisk(name) : layerDisk(name: name)
        guard disk.exists else { return nil }
        try disk.mount()
        return disk.upper
    }

    /// guest.stage: the staging area's disk, of the guest's size, before the
    /// first import. Again with the same size: nothing changes (a resumed move).
    public func stageLayerDisk(_ name: String, bytes: UInt64) throws(FleetError) {
        try Names.validate(name, kind: "guest")
        try GuestLimits(diskBytes: bytes).validate()
        if guests.exists(name) {
            throw .conflict("guest \(name) already exists on this host (destroy it there first, e.g. an old --keep-source copy)")
        }
        try paths.ensure()
        let disk = stagedLayerDisk(name)
        if disk.exists {
            guard imageBytes(disk) == bytes else {
                throw .conflict("the incoming copy of guest \(name) has a disk of \(ByteSize.format(imageBytes(disk))), not \(ByteSize.format(bytes)) (discard it first: guest.discard-staging)")
            }
            try disk.mount()
            return
        }
        if access(stagingUpper(name), F_OK) == 0 {
            throw .conflict("the incoming copy of guest \(name) has no disk (discard it first: guest.discard-staging)")
        }
        if mkdir(staging(name), StatePermissions.privateDirectory) != 0 && errno != EEXIST {
            throw .failed("cannot create the staging area for guest \(name): \(String(cString: strerror(errno)))")
        }
        StatePermissions.set(staging(name), mode: StatePermissions.privateDirectory)
        try disk.make(bytes: bytes)
    }

    /// adopt: the staged layer must be on a disk exactly when the guest has
    /// --disk, and of its size; the disk is unmounted before the rename (it
    /// is mounted again, at the guest's path, when needed).
    func settleStagedDisk(_ spec: GuestSpec) throws(FleetError) {
        let disk = stagedLayerDisk(spec.name)
        switch (spec.limits.diskBytes, disk.exists) {
        case (nil, false): return
        case (nil, true):
            throw .failed("cannot adopt guest \(spec.name): its layer arrived on a disk of its own but the guest has no --disk limit")
        case (.some, false):
            throw .failed("cannot adopt guest \(spec.name): it has --disk but its layer arrived without a disk (guest.stage was not called: upgrade the controller)")
        case (.some(let bytes), true):
            guard imageBytes(disk) == bytes else {
                throw .failed("cannot adopt guest \(spec.name): its layer arrived on a disk of \(ByteSize.format(imageBytes(disk))), but its --disk is \(ByteSize.format(bytes))")
            }
        }
        disk.unmount()
        guard !disk.isMounted else { throw .failed("cannot adopt guest \(spec.name): cannot unmount \(disk.mountPoint)") }
    }

    func diskLimitText(_ name: String) -> String {
        ByteSize.format(imageBytes(stagedLayerDisk(name)))
    }

    private func imageBytes(_ disk: GuestLayerDisk) -> UInt64 {
        var st = stat()
        return stat(disk.image, &st) == 0 ? UInt64(st.st_size) : 0
    }
}
