import { Field, ID, Int, ObjectType } from "type-graphql";
import { DiskFormat } from "./enums.js";
import { BytesScalar } from "./scalars/bytes.scalar.js";
import { AdminOnly, WithoutHostPaths } from "../resolvers/host-internals.js";

@ObjectType("Volume", { description: "One image file of a disk: the leaf (active layer) or a snapshot layer." })
export class VolumeType {
  @Field(() => ID)
  id: string;

  @AdminOnly()
  @Field(() => String, { nullable: true, description: "Path relative to the storage domain. Admins only (null for others)." })
  relPath: string;

  @Field(() => DiskFormat)
  format: DiskFormat;

  @Field(() => BytesScalar)
  virtualSize: number;

  @Field(() => BytesScalar, { description: "Bytes allocated on storage." })
  actualSize: number;

  @Field(() => Int, { description: "0 for the leaf, counting down the chain." })
  depth: number;

  @Field()
  missing: boolean;

  @WithoutHostPaths()
  @Field(() => String, { nullable: true })
  problem: string | null;
}
