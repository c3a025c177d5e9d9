import { audited, PageInfo, requireUser, type SubgraphContext, connectionType } from "@ods/kit";
import { GraphQLJSON } from "graphql-scalars";
import {
  Arg,
  Args,
  ArgsType,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  Float,
  ID,
  InputType,
  Int,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  Root,
  registerEnumType,
} from "type-graphql";
import {
  Dataset,
  DatasetColumn,
  DatasetFormat,
  DatasetStats,
  DatasetStatsJob,
  DatasetVersion,
} from "../entities/index.js";
import { SchemaChangeKind, type SchemaChange } from "../services/dataset-service.js";
import type { ColumnSpec, ColumnType } from "../services/infer-schema.js";
import type { DatasetServices } from "../services/index.js";
import type { Row } from "../services/read-data.js";
import { User } from "../user.stub.js";

@ObjectType()
export class DatasetConnection extends connectionType(() => Dataset, "Dataset") {}

/** The first rows of a version of a dataset, with its row count. */
@ObjectType()
export class DataPreview {
  @Field(() => [DatasetColumn])
  columns: ColumnSpec[];

  @Field(() => [GraphQLJSON], { description: "One object per row, keyed by column name, values typed" })
  rows: Row[];

  /** The version previewed, for `totalRows`; not a GraphQL field. */
  version: DatasetVersion;
}

@ObjectType()
class DatasetRowEdge {
  @Field({ description: "The row's offset in the file" })
  cursor: string;

  @Field(() => GraphQLJSON, { description: "The row: column name → typed value" })
  node: Row;
}

@ObjectType()
export class DatasetRowConnection {
  @Field(() => [DatasetRowEdge])
  edges: DatasetRowEdge[];

  @Field(() => PageInfo)
  pageInfo: PageInfo;

  @Field(() => Float, { nullable: true, description: "Rows in the version, when known" })
  totalCount: number | null;
}

registerEnumType(SchemaChangeKind, { name: "DatasetSchemaChangeKind" });

/** How one column differs between two versions. */
@ObjectType()
export class DatasetSchemaChange implements SchemaChange {
  @Field()
  column: string;

  @Field(() => SchemaChangeKind)
  kind: SchemaChangeKind;

  @Field(() => DatasetColumn, { nullable: true, description: "The column in the older version; null when added" })
  from: ColumnSpec | null;

  @Field(() => DatasetColumn, { nullable: true, description: "The column in the newer version; null when removed" })
  to: ColumnSpec | null;
}

@ArgsType()
class DatasetsArgs {
  @Field(() => String, { nullable: true, description: "Matches name, description, tags and column names" })
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

  @Field({
    description: "The key of an uploaded file (createUploadUrl), e.g. uploads/<id>/sales.csv, or s3://bucket/key",
  })
  storagePath: string;

  @Field(() => ID, { nullable: true, description: "The S3 data source of an s3:// storagePath" })
  dataSourceId?: string | null;

  @Field(() => DatasetFormat, { nullable: true, description: "Defaults to the one the file extension names" })
  format?: DatasetFormat | null;

  @Field(() => [String], { nullable: true })
  tags?: string[] | null;

  @Field(() => [DatasetColumnInput], { nullable: true, description: "Inferred from the data when not given" })
  columns?: DatasetColumnInput[] | null;
}

@InputType()
export class CreateDatasetVersionInput {
  @Field({ description: "An uploaded file's key, or s3://bucket/key with dataSourceId" })
  storagePath: string;

  @Field(() => ID, { nullable: true })
  dataSourceId?: string | null;

  @Field(() => DatasetFormat, { nullable: true, description: "Defaults to the one the file extension names" })
  format?: DatasetFormat | null;

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

  @Field(() => [DatasetColumnInput], { nullable: true, description: "Corrects the current version's schema" })
  columns?: DatasetColumnInput[] | null;
}

const withNullable = (columns: DatasetColumnInput[] | null | undefined) =>
  columns?.map((c) => ({ ...c, nullable: c.nullable ?? undefined }));

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
    return audited(
      services.audit,
      { action: "dataset.registered", caller, resourceType: "Dataset", details: { name: input.name } },
      () => services.datasets.register(em, caller, { ...input, columns: withNullable(input.columns) }),
      (dataset) => ({ resourceId: dataset.id }),
    );
  }

  @Authorized("editor")
  @Mutation(() => Dataset, { description: "Makes a new version from another file; the dataset then describes it" })
  async createDatasetVersion(
    @Arg("datasetId", () => ID) datasetId: string,
    @Arg("input", () => CreateDatasetVersionInput) input: CreateDatasetVersionInput,
    @Ctx() { em, caller, services }: SubgraphContext<DatasetServices>,
  ): Promise<Dataset> {
    requireUser(caller);
    return audited(
      services.audit,
      { action: "dataset.version_created", caller, resourceType: "Dataset", resourceId: datasetId },
      () => services.datasets.createVersion(em, caller, datasetId, { ...input, columns: withNullable(input.columns) }),
      (dataset) => ({ details: { version: dataset.currentVersion } }),
    );
  }

  @Authorized("editor")
  @Mutation(() => Dataset, { description: "Brings back a deleted dataset (its owner or an admin)" })
  async restoreDataset(
    @Arg("id", () => ID) id: string,
    @Ctx() { em, caller, services }: SubgraphContext<DatasetServices>,
  ): Promise<Dataset> {
    const audit = { action: "dataset.restored", caller, resourceType: "Dataset", resourceId: id };
    return audited(services.audit, audit, () => services.datasets.restore(em, caller, id));
  }

  @Authorized()
  @Mutation(() => DatasetStatsJob, { description: "Starts computing statistics of the current version" })
  async computeDatasetStats(
    @Arg("id", () => ID) id: string,
    @Ctx() { em, caller, services }: SubgraphContext<DatasetServices>,
  ): Promise<DatasetStatsJob> {
    return services.datasets.computeStats(em, caller, id);
  }

  @Authorized()
  @Query(() => DatasetStatsJob, { nullable: true, description: "A statistics job, to poll its progress" })
  async datasetStatsJob(
    @Arg("id", () => ID) id: string,
    @Ctx() { em, services }: SubgraphContext<DatasetServices>,
  ): Promise<DatasetStatsJob | null> {
    return services.datasets.statsJob(em, id);
  }

  @Authorized("editor")
  @Mutation(() => Dataset)
  async updateDataset(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateDatasetInput) input: UpdateDatasetInput,
    @Ctx() { em, caller, services }: SubgraphContext<DatasetServices>,
  ): Promise<Dataset> {
    return audited(
      services.audit,
      {
        action: "dataset.updated",
        caller,
        resourceType: "Dataset",
        resourceId: id,
        details: { fields: Object.keys(input) },
      },
      () => services.datasets.update(em, caller, id, { ...input, columns: withNullable(input.columns) }),
    );
  }

  @Authorized("editor")
  @Mutation(() => Boolean, { description: "Hides the dataset everywhere; the file itself is kept" })
  async deleteDataset(
    @Arg("id", () => ID) id: string,
    @Ctx() { em, caller, services }: SubgraphContext<DatasetServices>,
  ): Promise<boolean> {
    const audit = { action: "dataset.deleted", caller, resourceType: "Dataset", resourceId: id };
    return audited(services.audit, audit, () => services.datasets.delete(em, caller, id));
  }

  @FieldResolver(() => DataPreview, { description: "The first rows; reads only the start of the file" })
  async preview(
    @Root() dataset: Dataset,
    @Arg("limit", () => Int, { defaultValue: 20 }) limit: number,
    @Arg("version", () => Int, { nullable: true, description: "Defaults to the newest" }) version: number | null,
    @Ctx() { em, caller, services }: SubgraphContext<DatasetServices>,
  ): Promise<DataPreview> {
    return services.datasets.preview(em, caller, dataset, limit, version);
  }

  @FieldResolver(() => DatasetRowConnection, {
    description: "Pages through every row (first: 1–1000, default 100); streamed, never loaded whole",
  })
  async rows(
    @Root() dataset: Dataset,
    @Arg("first", () => Int, { nullable: true }) first: number | null,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Arg("version", () => Int, { nullable: true, description: "Defaults to the newest" }) version: number | null,
    @Ctx() { em, caller, services }: SubgraphContext<DatasetServices>,
  ): Promise<DatasetRowConnection> {
    return services.datasets.rows(em, caller, dataset, { first, after, version });
  }

  @FieldResolver(() => [DatasetVersion], { description: "Every version, oldest first" })
  async versions(
    @Root() dataset: Dataset,
    @Ctx() { em, services }: SubgraphContext<DatasetServices>,
  ): Promise<DatasetVersion[]> {
    return services.datasets.versions(em, dataset);
  }

  @FieldResolver(() => DatasetVersion, { nullable: true })
  async version(
    @Root() dataset: Dataset,
    @Arg("number", () => Int) number: number,
    @Ctx() { em, services }: SubgraphContext<DatasetServices>,
  ): Promise<DatasetVersion | null> {
    return services.datasets.version(em, dataset, number).catch(() => null);
  }

  @FieldResolver(() => [DatasetSchemaChange], { description: "How the schema changed from one version to another" })
  async schemaChanges(
    @Root() dataset: Dataset,
    @Arg("from", () => Int) from: number,
    @Arg("to", () => Int) to: number,
    @Ctx() { em, services }: SubgraphContext<DatasetServices>,
  ): Promise<DatasetSchemaChange[]> {
    return services.datasets.schemaChanges(em, dataset, from, to);
  }

  @FieldResolver(() => DatasetStats, {
    nullable: true,
    description: "The newest statistics of the current version; null until computeDatasetStats has finished",
  })
  async stats(
    @Root() dataset: Dataset,
    @Ctx() { em, services }: SubgraphContext<DatasetServices>,
  ): Promise<DatasetStats | null> {
    const job = await services.datasets.stats(em, dataset);
    return job?.stats ? { ...job.stats, computedAt: new Date(job.stats.computedAt) } : null;
  }

  @FieldResolver(() => String, { description: "A signed URL that downloads the current file for an hour" })
  async downloadUrl(
    @Root() dataset: Dataset,
    @Ctx() { em, caller, services }: SubgraphContext<DatasetServices>,
  ): Promise<string> {
    return services.datasets.downloadUrl(em, caller, dataset);
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
    description: "Rows in the whole version (counted when it was registered); null when unknown",
  })
  totalRows(@Root() preview: DataPreview, @Ctx() { services }: SubgraphContext<DatasetServices>): number | null {
    return services.datasets.totalRows(preview.version);
  }
}
