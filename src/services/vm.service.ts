import { VmSource, VmStatus } from "../entities/enums.js";
import { Disk, DiskAttachment, Vm } from "../entities/index.js";
import { AppError, ErrorCode, badInput, notFound } from "../errors.js";
import { recordEvent } from "./audit.js";
import { isUniqueViolation } from "./db-errors.js";
import type { Services } from "./context.js";
import { refreshAssessments } from "./disk-assessment.service.js";
import { parseId, parseName } from "./ids.js";

/** VMs and attachments as an orchestrator reports them; each change re-assesses the disks. */
export class VmService {
  constructor(private readonly s: Services) {}

  list(): Promise<Vm[]> {
    return this.s.db.getRepository(Vm).find({ order: { name: "ASC", hostId: "ASC" } });
  }

  /** Libvirt's VMs mirror the hypervisor: a hand edit would be overwritten by the next event, so it is refused. */
  private assertManual(vm: Vm): void {
    if (vm.source === VmSource.LIBVIRT) {
      throw new AppError(
        ErrorCode.VM_MANAGED_BY_LIBVIRT,
        `VM ${vm.name} comes from libvirt (UUID ${vm.libvirtUuid}); change it with libvirt on its host, not here`,
        { vmId: vm.id },
      );
    }
  }

  async get(id: string): Promise<Vm> {
    const vm = await this.s.db.getRepository(Vm).findOneBy({ id: parseId(id) });
    if (!vm) throw notFound("VM", id);
    return vm;
  }

  async add(input: { name: string }, actor: string): Promise<Vm> {
    const name = parseName(input.name);
    try {
      return await this.s.db.transaction(async (em) => {
        const vm = await em.save(Vm, em.create(Vm, { name }));
        await recordEvent(em, { type: "VM_ADDED", actor, message: `VM ${name} added` });
        return vm;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError(ErrorCode.CONFLICT, `A VM named ${name} already exists`);
      throw error;
    }
  }

  async setStatus(id: string, status: VmStatus, actor: string): Promise<Vm> {
    if (!Object.values(VmStatus).includes(status)) throw badInput(`unknown VM status ${status}`, "status");
    const vm = await this.get(id);
    this.assertManual(vm);
    await this.s.db.transaction(async (em) => {
      await em.update(Vm, { id: vm.id }, { status });
      const diskIds = (await em.findBy(DiskAttachment, { vmId: vm.id })).map((a) => a.diskId);
      await refreshAssessments(em, diskIds);
      await recordEvent(em, {
        type: "VM_STATUS_CHANGED",
        actor,
        message: `VM ${vm.name} is ${status}`,
        data: { from: vm.status, to: status },
      });
    });
    return this.get(vm.id);
  }

  async attach(vmId: string, diskId: string, plugged: boolean, actor: string): Promise<DiskAttachment> {
    const vm = await this.get(vmId);
    this.assertManual(vm);
    const disk = await this.s.db.getRepository(Disk).findOneBy({ id: parseId(diskId, "diskId") });
    if (!disk) throw notFound("Disk", diskId);
    return this.s.db.transaction(async (em) => {
      await em.upsert(DiskAttachment, { vmId: vm.id, diskId: disk.id, plugged }, ["vmId", "diskId"]);
      await refreshAssessments(em, [disk.id]);
      await recordEvent(em, {
        type: "DISK_ATTACHED",
        actor,
        diskId: disk.id,
        message: `Disk ${disk.alias} attached to VM ${vm.name} (${plugged ? "plugged" : "unplugged"})`,
      });
      return (await em.findOneBy(DiskAttachment, { vmId: vm.id, diskId: disk.id }))!;
    });
  }

  async detach(vmId: string, diskId: string, actor: string): Promise<boolean> {
    const vm = await this.get(vmId);
    this.assertManual(vm);
    const id = parseId(diskId, "diskId");
    return this.s.db.transaction(async (em) => {
      const result = await em.delete(DiskAttachment, { vmId: vm.id, diskId: id });
      if (!result.affected) throw notFound("Attachment of disk", `${id} to VM ${vm.name}`);
      await refreshAssessments(em, [id]);
      await recordEvent(em, { type: "DISK_DETACHED", actor, diskId: id, message: `Disk ${id} detached from VM ${vm.name}` });
      return true;
    });
  }
}
