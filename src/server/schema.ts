import type { PubSub } from "@graphql-yoga/subscription";
import type { GraphQLSchema } from "graphql";
import { buildSchema } from "type-graphql";
import "../schema/enums.js";
import { authChecker } from "./security/auth-checker.js";
import { ApiTokenResolver } from "../resolvers/api-token.resolver.js";
import { AuditEventResolver } from "../resolvers/audit-event.resolver.js";
import { DiskAttachmentResolver } from "../resolvers/disk-attachment.resolver.js";
import { DiskJobsResolver } from "../resolvers/disk-jobs.resolver.js";
import { DiskResolver } from "../resolvers/disk.resolver.js";
import { HostResolver } from "../resolvers/host.resolver.js";
import { ReclaimResolver } from "../resolvers/reclaim.resolver.js";
import { SparsifyJobTextResolver } from "../resolvers/sparsify-job-text.resolver.js";
import { DomainSizeTotalsResolver } from "../resolvers/domain-size-totals.resolver.js";
import { SparsifyJobResolver } from "../resolvers/sparsify-job.resolver.js";
import { BulkSparsifyResolver } from "../resolvers/bulk-sparsify.resolver.js";
import { StorageDomainResolver } from "../resolvers/storage-domain.resolver.js";
import { VmResolver } from "../resolvers/vm.resolver.js";
import { VolumeLibvirtResolver } from "../resolvers/volume-libvirt.resolver.js";
import { LockedImagesResolver } from "../resolvers/locked-images.resolver.js";

export const resolvers = [
  StorageDomainResolver,
  DiskResolver,
  DiskJobsResolver,
  DiskAttachmentResolver,
  VmResolver,
  VolumeLibvirtResolver,
  LockedImagesResolver,
  HostResolver,
  SparsifyJobResolver,
  SparsifyJobTextResolver,
  BulkSparsifyResolver,
  AuditEventResolver,
  ApiTokenResolver,
  ReclaimResolver,
  DomainSizeTotalsResolver,
] as const;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function buildGatewaySchema(pubSub: PubSub<any>): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [...resolvers] as [Function, ...Function[]],
    pubSub,
    validate: false,
    emitSchemaFile: false,
    authChecker,
  });
}
