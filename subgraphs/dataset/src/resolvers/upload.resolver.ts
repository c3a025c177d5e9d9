import type { SubgraphContext } from "@ods/kit";
import { GraphQLDateTime, GraphQLJSON } from "graphql-scalars";
import { Arg, Authorized, Ctx, Field, Float, InputType, Mutation, ObjectType, Resolver } from "type-graphql";
import type { DatasetServices } from "../services/index.js";

@InputType()
export class CreateUploadUrlInput {
  @Field()
  fileName: string;

  @Field()
  contentType: string;

  @Field(() => Float, { description: "Exact size of the file in bytes" })
  size: number;
}

/** Send the file's bytes to `url` with `method` and `headers`, then pass `key` as a dataset's `storagePath`. */
@ObjectType()
export class UploadTarget {
  @Field({ description: "Absolute, or relative to the gateway" })
  url: string;

  @Field()
  method: string;

  @Field(() => GraphQLJSON)
  headers: Record<string, string>;

  @Field()
  key: string;

  @Field(() => GraphQLDateTime)
  expiresAt: Date;
}

@Resolver()
export class UploadResolver {
  @Authorized("editor")
  @Mutation(() => UploadTarget)
  async createUploadUrl(
    @Arg("input", () => CreateUploadUrlInput) input: CreateUploadUrlInput,
    @Ctx() { services }: SubgraphContext<DatasetServices>,
  ): Promise<UploadTarget> {
    return services.uploads.createUploadUrl(input);
  }
}
