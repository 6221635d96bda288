import { ApiToken } from "./api-token.entity.js";
import { AuditEvent } from "./event.entity.js";
import { Disk } from "./disk.entity.js";
import { DiskAttachment } from "./disk-attachment.entity.js";
import { Host } from "./host.entity.js";
import { SparsifyJob } from "./sparsify-job.entity.js";
import { SparsifySchedule } from "./sparsify-schedule.entity.js";
import { StorageDomain } from "./storage-domain.entity.js";
import { Vm } from "./vm.entity.js";
import { Volume } from "./volume.entity.js";

export { ApiToken, AuditEvent, Disk, DiskAttachment, Host, SparsifyJob, SparsifySchedule, StorageDomain, Vm, Volume };
export const entities = [
  StorageDomain,
  Volume,
  Disk,
  Vm,
  DiskAttachment,
  Host,
  SparsifyJob,
  AuditEvent,
  ApiToken,
  SparsifySchedule,
];
