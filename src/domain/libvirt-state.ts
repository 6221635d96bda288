import { VmStatus } from "../entities/enums.js";

/**
 * libvirt's domain state word (as `virsh domstate` prints it) to the gateway's VM status.
 * Only "shut off" becomes DOWN: anything unrecognised is UNKNOWN, never assumed down.
 */
export function vmStatusFromLibvirt(state: string): VmStatus {
  switch (state.trim().toLowerCase()) {
    case "running":
      return VmStatus.UP;
    case "paused":
      return VmStatus.PAUSED;
    case "shut off":
    case "shutoff":
      return VmStatus.DOWN;
    case "pmsuspended":
      return VmStatus.SUSPENDED;
    case "crashed":
      return VmStatus.NOT_RESPONDING;
    default:
      return VmStatus.UNKNOWN;
  }
}

/** Live XML counts as "plugged" only while qemu runs the domain (running or paused). */
export const isLive = (status: VmStatus) => status === VmStatus.UP || status === VmStatus.PAUSED;

/**
 * A migration: another host reports a domain whose VM row is `current` on its old host. It takes
 * the VM over when the domain runs there, or when the old host has it shut off. Otherwise the old
 * host's word stands: a stopped copy elsewhere must not turn a VM that is suspended, crashed or
 * UNKNOWN (its host lost libvirt) into DOWN, which would free its disks.
 */
export const takesOver = (current: VmStatus, reported: VmStatus) => isLive(reported) || current === VmStatus.DOWN;
