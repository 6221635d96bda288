import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { DataSource } from "typeorm";
import type { Config } from "../../config.js";
import { JobErrorCode } from "../../domain/job-error-code.js";
import { assessSparsify } from "../../domain/sparsify-blockers.js";
import { isInside } from "../../domain/storage-path.js";
import { AllocationSource, DiskFormat, DiskStatus } from "../../entities/enums.js";
import { Disk, SparsifyJob, StorageDomain, Volume } from "../../entities/index.js";
import type { ImageFormat } from "../../host/image-format.js";
import { imageHolders, onlyBriefReaders } from "../../host/image-holders.js";
import { qemuImgInfo } from "../../host/qemu-img.js";
import { ImageRefusal } from "../../host/inspect/image-refusal.js";
import { inspectChain } from "../../host/inspect/inspect-chain.js";
import { loadRecordedChain, type RecordedChain } from "../../services/recorded-chain.js";
import { recordRefusal } from "../../services/refusal-recorder.js";
import { precheckImage } from "../../host/sparsify-precheck.js";
import { PathGuardError } from "../../host/path-guard.js";
import { loadDiskFacts } from "../../services/disk-assessment.service.js";
import { guardDiskChain } from "./guarded-chain.js";
import { JobFailure } from "./job-failure.js";

/** The disk a sparsify job works on, as loaded from the inventory and proved on the host. */
export interface Target {
  disk: Disk;
  leaf: Volume;
  own: Volume[];
  domain: StorageDomain;
  /** Real path of the leaf, proved by the path guard: the only path handed to a tool. */
  leafPath: string;
  /** Real paths of the own volumes, leaf first. */
  ownPaths: string[];
  format: ImageFormat;
  /** Every layer qemu will open, from the inventory (own volumes, then the template's). */
  chain: RecordedChain;
}

/** How long a run waits for qemu tools that hold its leaf for a moment (an estimate takes seconds). */
export const BRIEF_HOLD_WAIT_MS = 10_000;

export const toImageFormat = (f: DiskFormat): ImageFormat => (f === DiskFormat.QCOW2 ? "qcow2" : "raw");

/**
 * The checks a sparsify job makes on its target before and after it touches the image: load and
 * prove the chain, pre-check, inspect, measure. A refusal is thrown as a JobFailure with its code.
 */
export class TargetChecks {
  constructor(private readonly d: { db: DataSource; config: Config }) {}

  async load(row: SparsifyJob): Promise<Target> {
    const disk = await this.d.db.getRepository(Disk).findOneBy({ id: row.diskId });
    if (!disk || disk.status === DiskStatus.MISSING || !disk.leafVolumeId)
      throw new JobFailure(JobErrorCode.DISK_MISSING, "The disk is no longer in the inventory or its image is missing");
    const own = await this.d.db.getRepository(Volume).find({ where: { diskId: disk.id }, order: { depth: "ASC" } });
    const leaf = own.find((v) => v.id === disk.leafVolumeId);
    const domain = await this.d.db.getRepository(StorageDomain).findOneBy({ id: disk.storageDomainId });
    if (!leaf || !domain)
      throw new JobFailure(JobErrorCode.DISK_MISSING, "The disk's leaf volume or storage domain is gone; rescan");
    const leafPath = path.join(domain.path, leaf.relPath);
    // Paths come from our own scan, but never act outside the domain whatever the database says.
    if (!isInside(leafPath, domain.path))
      throw new JobFailure(JobErrorCode.CHAIN_INVALID, `Leaf path ${leaf.relPath} escapes the storage domain`);
    const chain = await loadRecordedChain(this.d.db.manager, disk, domain);
    const target = { disk, leaf, own, domain, leafPath, ownPaths: [], format: toImageFormat(leaf.format), chain };
    await this.guard(target);
    return target;
  }

  /** Every layer is still the file the scan saw (no symlink, hard link, device or other inode). */
  async guard(t: Target): Promise<void> {
    try {
      const { own } = await guardDiskChain(this.d.db, t.domain, t.own, this.d.config.STORAGE_ROOTS);
      t.ownPaths = own;
      t.leafPath = own[0]!;
    } catch (error) {
      // Every path-guard code is also a JobErrorCode (same string).
      if (error instanceof PathGuardError) throw new JobFailure(error.code as unknown as JobErrorCode, error.message);
      throw error;
    }
  }

  /**
   * What the daemon opened was not the checked chain (swapped after the guard, or a data file named
   * by a header rewritten after the inspector): the job fails with the code, never falls back.
   */
  async refused(t: Target, error: unknown): Promise<never> {
    if (error instanceof PathGuardError) throw new JobFailure(error.code as unknown as JobErrorCode, error.message);
    if (!(error instanceof ImageRefusal)) throw error;
    await recordRefusal(this.d.db, t.disk.id, error);
    throw new JobFailure(error.code as unknown as JobErrorCode, `The image inspector refused the disk: ${error.message}`);
  }

  /** Everything that may have changed since the job was queued; returns actualSizeBefore. */
  async precheck(t: Target, retried: boolean, signal?: AbortSignal): Promise<number> {
    // The inspector (before the first qemu-img call on the chain) and the database read are independent.
    const [, loaded] = await Promise.all([this.inspect(t), loadDiskFacts(this.d.db.manager, [t.disk])]);
    const facts = loaded.get(t.disk.id)!;
    // Our own lock and job are expected here; every other blocker still applies.
    const { blockers } = assessSparsify({ ...facts, status: DiskStatus.OK, activeJob: null });
    if (blockers.length) throw new JobFailure(JobErrorCode.DISK_NOT_SPARSIFIABLE, blockers.map((b) => b.message).join("; "));
    const deadline = Date.now() + this.d.config.IMAGE_IN_USE_DEADLINE_MS;
    const briefUntil = Date.now() + BRIEF_HOLD_WAIT_MS;
    let leafSize: number;
    for (;;) {
      const checked = await precheckImage({
        path: t.leafPath,
        format: t.format,
        expectedBackingPath: t.leaf.backingPath,
        allocationSetByUser: t.disk.allocationSource === AllocationSource.SET_BY_USER ? t.disk.allocation : null,
      });
      if (checked.ok) {
        leafSize = checked.info.actualSize;
        break;
      }
      // A retried job may find its own orphaned run still finishing: wait for it, up to a deadline.
      if (checked.code === JobErrorCode.IMAGE_IN_USE && retried && Date.now() < deadline && !signal?.aborted) {
        await sleep(2_000);
        continue;
      }
      // Held by a qemu tool for a moment (another worker process's estimate of this disk, which
      // the claim announced on the bus is stopping: see host-claims.ts): wait for it to let go, not for a VM.
      if (
        checked.code === JobErrorCode.IMAGE_IN_USE &&
        Date.now() < briefUntil &&
        !signal?.aborted &&
        onlyBriefReaders(await imageHolders(t.leafPath))
      ) {
        await sleep(250);
        continue;
      }
      throw new JobFailure(checked.code, checked.message);
    }
    // The pre-check's qemu-img info just read the leaf's size: one qemu-img call fewer before the run.
    return this.measure(t, leafSize);
  }

  /**
   * The image inspector over the recorded chain. A refusal is stored on the disk (a blocker
   * until a rescan finds the image clean) and ends the job with the refusal's code.
   */
  async inspect(t: Target): Promise<void> {
    // Every InspectionCode is also a JobErrorCode (same string).
    await inspectChain(t.chain.layers, t.domain.path).catch((error: unknown) => this.refused(t, error));
  }

  /** Actual size of the disk's own volumes now (the leaf's when just read); also refreshes the inventory. */
  async measure(t: Target, leafSize?: number): Promise<number> {
    let total = 0;
    for (const [i, v] of t.own.entries()) {
      const read = () => qemuImgInfo(t.ownPaths[i]!, toImageFormat(v.format), { shared: true });
      const actualSize = i === 0 && leafSize !== undefined ? leafSize : (await read()).actualSize;
      total += actualSize;
      await this.d.db.getRepository(Volume).update({ id: v.id }, { actualSize, scannedAt: new Date() });
    }
    await this.d.db.getRepository(Disk).update({ id: t.disk.id }, { actualSize: total });
    return total;
  }
}
