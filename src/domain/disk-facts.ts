import type {
  DiskAllocation,
  DiskStatus,
  JobState,
  LibvirtState,
  StorageDomainStatus,
  StorageKind,
  StorageType,
  VmStatus,
} from "../entities/enums.js";

/** Everything the sparsify rules read about a disk, as plain data (no I/O, no ORM). */
export interface DiskFacts {
  status: DiskStatus;
  storageType: StorageType;
  allocation: DiskAllocation;
  /** Own volumes: the leaf plus the snapshot layers below it that only this disk uses. */
  ownVolumeCount: number;
  derivedDiskAliases: string[];
  /** A problem found while reading the chain (bad backing file); null when the chain is sound. */
  chainProblem: string | null;
  /** The image inspector's refusal of one of the disk's layers (code + words), or NOT_INSPECTED. */
  inspection: { code: string; message: string } | null;
  domain: {
    name: string;
    status: StorageDomainStatus;
    statusReason: string | null;
    kind: StorageKind;
    /** NFS version of the domain's mount ("4.2", "3"), null when not on NFS. */
    nfsVersion: string | null;
    /** Hosts configured for libvirt that see this domain and lost their libvirt connection. */
    libvirtUnreachableHosts?: string[];
  };
  /**
   * `vmHost` / `vmFromLibvirt`: where a libvirt VM is reported (absent for manual VMs);
   * `vmHostLibvirt`: that host's libvirt link; `vmLibvirtState`: libvirt's own state word, as last read.
   */
  attachments: {
    vmName: string;
    vmStatus: VmStatus;
    plugged: boolean;
    vmHost?: string | null;
    vmFromLibvirt?: boolean;
    vmHostLibvirt?: LibvirtState | null;
    vmLibvirtState?: string | null;
  }[];
  activeJob: { id: string; state: JobState } | null;
  /** Processes of an ended run still alive on a host; null when none. */
  runStillAlive: { jobId: string; host: string; pids: number[] } | null;
  /** A DIRECT run of this disk failed its verification (absent: never). */
  directVerificationFailed?: { jobId: string; message: string } | null;
}
