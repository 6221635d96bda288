import {
  Authorized,
  Arg,
  Args,
  Ctx,
  FieldResolver,
  ID,
  Mutation,
  Query,
  Resolver,
  Root,
  Subscription,
  type SubscribeResolverData,
} from "type-graphql";
import type { Disk, SparsifyJob } from "../entities/index.js";
import { openJobStream, followJobEvents } from "../jobs/queue/job-stream.js";
import { ConnectionArgs } from "../schema/connection.args.js";
import { DiskType } from "../schema/disk.type.js";
import { SparsifyJobConnection } from "../schema/sparsify-job-connection.type.js";
import {
  JobErrorType,
  SignedBytesScalar,
  SparsifyJobEventFilter,
  SparsifyJobFilter,
  SparsifyJobType,
} from "../schema/sparsify-job.type.js";
import { listJobs } from "../services/history-query.service.js";
import { parseId } from "../services/ids.js";
import { asJobErrorCode } from "../domain/job-error-code.js";
import { Role } from "../domain/roles.js";
import type { GatewayContext } from "./context.js";
import { refusalFor, textFor } from "./host-internals.js";

type Sub<A> = SubscribeResolverData<unknown, A, GatewayContext>;

@Authorized(Role.VIEWER)
@Resolver(() => SparsifyJobType)
export class SparsifyJobResolver {
  @Authorized(Role.OPERATOR)
  @Mutation(() => SparsifyJobType, {
    description: "Validates, locks the disk and queues a sparsify job. Blocked: DISK_NOT_SPARSIFIABLE with extensions.blockers.",
  })
  sparsifyDisk(@Arg("diskId", () => ID) diskId: string, @Ctx() ctx: GatewayContext): Promise<SparsifyJob> {
    return ctx.services.sparsify.request(diskId, ctx.actor).catch((error: unknown) => Promise.reject(refusalFor(ctx, error)));
  }

  @Authorized(Role.OPERATOR)
  @Mutation(() => SparsifyJobType, {
    description: "QUEUED: cancelled at once. RUNNING: the worker stops virt-sparsify and ends the job CANCELLED.",
  })
  cancelSparsifyJob(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<SparsifyJob> {
    return ctx.services.sparsify.cancel(id, ctx.actor);
  }

  @Query(() => SparsifyJobType, { nullable: true })
  sparsifyJob(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<SparsifyJob | null> {
    return ctx.services.sparsify.store.get(parseId(id));
  }

  @Query(() => SparsifyJobConnection, { description: "Newest first." })
  async sparsifyJobs(
    @Ctx() ctx: GatewayContext,
    @Args() page: ConnectionArgs,
    @Arg("filter", () => SparsifyJobFilter, { nullable: true }) filter?: SparsifyJobFilter,
  ): Promise<SparsifyJobConnection> {
    return (await listJobs(ctx.services.db, {
      ...page,
      diskId: filter?.diskId,
      vmId: filter?.vmId,
      states: filter?.states,
    })) as unknown as SparsifyJobConnection;
  }

  @Subscription(() => SparsifyJobType, {
    name: "sparsifyJob",
    description: "The job's current state first, then every change; completes after a terminal state.",
    subscribe: ({ args, context }: Sub<{ id: string }>) => {
      const id = parseId(args.id);
      return openJobStream(context.services.jobFeed, id, () => context.services.sparsify.current(id));
    },
  })
  sparsifyJobChanged(@Root() job: SparsifyJob, @Arg("id", () => ID) _id: string): SparsifyJob {
    return job;
  }

  @Subscription(() => SparsifyJobType, {
    description: "Every change of every matching job, new jobs included.",
    subscribe: ({ args, context }: Sub<{ filter?: SparsifyJobEventFilter }>) => {
      const diskId = args.filter?.diskId ? parseId(args.filter.diskId, "filter.diskId") : null;
      const domainId = args.filter?.storageDomainId ? parseId(args.filter.storageDomainId, "filter.storageDomainId") : null;
      return followJobEvents(
        context.services.pubSub,
        (job) => (!diskId || job.diskId === diskId) && (!domainId || job.storageDomainId === domainId),
      );
    },
  })
  sparsifyJobEvents(
    @Root() job: SparsifyJob,
    @Arg("filter", () => SparsifyJobEventFilter, { nullable: true }) _filter?: SparsifyJobEventFilter,
  ): SparsifyJob {
    return job;
  }

  @FieldResolver(() => DiskType, { nullable: true, description: "Null once the disk was forgotten." })
  disk(@Root() job: SparsifyJob, @Ctx() ctx: GatewayContext): Promise<Disk | null> {
    return ctx.loaders.disk.load(job.diskId);
  }

  @FieldResolver(() => SignedBytesScalar, {
    nullable: true,
    description: "actualSizeBefore − actualSizeAfter; negative when a snapshot leaf grew.",
  })
  reclaimedBytes(@Root() job: SparsifyJob): number | null {
    return job.actualSizeBefore !== null && job.actualSizeAfter !== null && job.finishedAt
      ? Number(job.actualSizeBefore) - Number(job.actualSizeAfter)
      : null;
  }

  @FieldResolver(() => JobErrorType, { nullable: true })
  error(@Root() job: SparsifyJob, @Ctx() ctx: GatewayContext): JobErrorType | null {
    return job.errorCode
      ? { code: asJobErrorCode(job.errorCode), message: textFor(ctx, job.errorMessage) ?? job.errorCode }
      : null;
  }
}
