import { Arg, Authorized, Ctx, Query, Resolver } from "type-graphql";
import { Role } from "../domain/roles.js";
import { badInput } from "../errors.js";
import { LockedImageType } from "../schema/locked-image.type.js";
import { lockedImages, MAX_HOOK_PATHS, type LockedImage } from "../services/locked-images.service.js";
import type { GatewayContext } from "./context.js";

@Authorized(Role.VIEWER)
@Resolver()
export class LockedImagesResolver {
  @Query(() => [LockedImageType], {
    description: "For the libvirt qemu hook: which of these image paths (as hosts see them) are LOCKED by a sparsify job.",
  })
  lockedImages(@Arg("paths", () => [String]) paths: string[], @Ctx() ctx: GatewayContext): Promise<LockedImage[]> {
    if (paths.length > MAX_HOOK_PATHS) throw badInput(`at most ${MAX_HOOK_PATHS} paths`, "paths");
    if (paths.some((p) => p.length > 4096)) throw badInput("a path is longer than 4096 characters", "paths");
    return lockedImages(ctx.services.db, paths);
  }
}
