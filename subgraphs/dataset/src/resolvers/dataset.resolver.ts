import { PageInfo, requireUser, type SubgraphContext } from "@ods/kit";
import { GraphQLJSON } from "graphql-scalars";
import {
  Arg,
  Args,
  ArgsType,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  ID,
  InputType,
  Int,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  Root,
} from "type-graphql";
import { Dataset, DatasetColumn, DatasetFormat } from "../entities/index.js";
import type { ColumnSpec, ColumnType } from "../services/infer-schema.js";
import type { DatasetServices } from "../services/index.js";
import type { Row } from "../services/read-data.js";
import { User } from "../user.stub.js";

@ObjectType()
class DatasetEdge {
  @Field()
  cursor: string;

  @Field(() => Dataset)
  node: Dataset;
}

@ObjectType()
export class DatasetConnection {
  @Field(() => [DatasetEdge])
  edges: DatasetEdge[];

  @Field(() => PageInfo)
  pageInfo: PageInfo;

  @Field(() => Int)
  totalCount: number;
}

/** The first rows of a dataset. `totalRows` is counted only when asked for, since it reads the whole file. */
@ObjectType()
export class DataPreview {
  @Field(() => [DatasetColumn])
  columns: ColumnSpec[];

  @Field(() => [GraphQLJSON], { description: "One object per row, keyed by column name, values typed" })
  rows: Row[];

  /** The dataset previewed, for `totalRows`; not a GraphQL field. */
  dataset: Dataset;
}

@ArgsType()
class DatasetsArgs {
  @Field(() => String, { nullable: true, description: "Matches name and description" })
  search?: string | null;

  @Field(() => [String], { nullable: true, description: "Datasets carrying all of these tags" })
  tags?: string[] | null;

  @Field(() => DatasetFormat, { nullable: true })
  format?: DatasetFormat | null;

  @Field(() => Int, { nullable: true })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;
}

@InputType()
export class DatasetColumnInput {
  @Field()
  name: string;

  @Field(() => String, { description: "INTEGER, FLOAT, BOOLEAN, DATE, TIMESTAMP or STRING" })
  type: ColumnType;

  @Field(() => Boolean, { nullable: true, description: "Defaults to true" })
  nullable?: boolean | null;
}

@InputType()
export class RegisterDatasetInput {
  @Field()
  name: string;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field({ description: "The key of an uploaded file (createUploadUrl), e.g. uploads/<id>/sales.csv" })
  storagePath: string;

  @Field(() => DatasetFormat, { nullable: true, description: "Defaults to the one the file extension names" })
  format?: DatasetFormat | null;

  @Field(() => [String], { nullable: true })
  tags?: string[] | null;

  @Field(() => [DatasetColumnInput], { nullable: true, description: "Inferred from the data when not given" })
  columns?: DatasetColumnInput[] | null;
}

@InputType()
export class UpdateDatasetInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => [String], { nullable: true })
  tags?: string[] | null;
}

@Resolver(() => Dataset)
export class DatasetResolver {
  @Authorized()
  @Query(() => DatasetConnection)
  async datasets(
    @Args(() => DatasetsArgs) args: DatasetsArgs,
    @Ctx() { em, services }: SubgraphContext<DatasetServices>,
  ): Promise<DatasetConnection> {
    return services.datasets.list(em, args);
  }

  @Authorized()
  @Query(() => Dataset, { nullable: true })
  async dataset(
    @Arg("id", () => ID) id: string,
    @Ctx() { em, services }: SubgraphContext<DatasetServices>,
  ): Promise<Dataset | null> {
    return services.datasets.find(em, id);
  }

  @Authorized("editor")
  @Mutation(() => Dataset)
  async registerDataset(
    @Arg("input", () => RegisterDatasetInput) input: RegisterDatasetInput,
    @Ctx() { em, caller, services }: SubgraphContext<DatasetServices>,
  ): Promise<Dataset> {
    requireUser(caller);
    return services.datasets.register(em, caller, {
      ...input,
      columns: input.columns?.map((c) => ({ ...c, nullable: c.nullable ?? undefined })),
    });
  }

  @Authorized("editor")
  @Mutation(() => Dataset)
  async updateDataset(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateDatasetInput) input: UpdateDatasetInput,
    @Ctx() { em, caller, services }: SubgraphContext<DatasetServices>,
  ): Promise<Dataset> {
    return services.datasets.update(em, caller, id, input);
  }

  @Authorized("editor")
  @Mutation(() => Boolean, { description: "Hides the dataset everywhere; the file itself is kept" })
  async deleteDataset(
    @Arg("id", () => ID) id: string,
    @Ctx() { em, caller, services }: SubgraphContext<DatasetServices>,
  ): Promise<boolean> {
    return services.datasets.delete(em, caller, id);
  }

  @FieldResolver(() => DataPreview, { description: "The first rows; reads only the start of the file" })
  async preview(
    @Root() dataset: Dataset,
    @Arg("limit", () => Int, { defaultValue: 20 }) limit: number,
    @Ctx() { services }: SubgraphContext<DatasetServices>,
  ): Promise<DataPreview> {
    return { ...(await services.datasets.preview(dataset, limit)), dataset };
  }

  @FieldResolver(() => User, { nullable: true })
  owner(@Root() dataset: Dataset): User {
    return { id: dataset.ownerId };
  }
}

@Resolver(() => DataPreview)
export class DataPreviewResolver {
  @FieldResolver(() => Int, {
    nullable: true,
    description: "Rows in the whole file; null for files of 50 MB or more, which would take too long to count",
  })
  async totalRows(
    @Root() preview: DataPreview,
    @Ctx() { services }: SubgraphContext<DatasetServices>,
  ): Promise<number | null> {
    return services.datasets.totalRows(preview.dataset);
  }
}
