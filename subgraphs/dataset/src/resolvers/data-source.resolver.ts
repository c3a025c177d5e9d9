import { audited, requireUser, type SubgraphContext, connectionType } from "@ods/kit";
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
import { CatalogRefreshJob, CatalogTable, DataSource, DataSourceKind } from "../entities/index.js";
import type { DatasetServices } from "../services/index.js";
import { User } from "../user.stub.js";

type Context = SubgraphContext<DatasetServices>;

@ObjectType()
export class DataSourceConnection extends connectionType(() => DataSource, "DataSource") {}

@ArgsType()
class DataSourcesArgs {
  @Field(() => String, { nullable: true, description: "Matches the name" })
  search?: string | null;

  @Field(() => Int, { nullable: true })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;
}

@InputType()
export class RegisterDataSourceInput {
  @Field()
  name: string;

  @Field(() => DataSourceKind)
  kind: DataSourceKind;

  @Field(() => GraphQLJSON, {
    description:
      "S3: { endpoint, accessKey, secretKey, region }; POSTGRES and MYSQL: { url }; SQLITE: { path } (admins only). " +
      "Tested before it is saved; stored encrypted and never returned.",
  })
  connection: unknown;
}

/** Resolves `DataSource` references from other subgraphs; sources the caller may not see resolve to null. */
export async function resolveDataSourceReference(
  ref: { id: string },
  { em, caller, services }: Context,
): Promise<DataSource | null> {
  requireUser(caller);
  return services.dataSources.find(em, caller, ref.id);
}

@Resolver(() => DataSource)
export class DataSourceResolver {
  @Authorized()
  @Query(() => DataSourceConnection, { description: "The data sources you registered (admins see all)" })
  async dataSources(
    @Args(() => DataSourcesArgs) args: DataSourcesArgs,
    @Ctx() { em, caller, services }: Context,
  ): Promise<DataSourceConnection> {
    return services.dataSources.list(em, caller, args);
  }

  @Authorized()
  @Query(() => DataSource, { nullable: true })
  async dataSource(
    @Arg("id", () => ID) id: string,
    @Ctx() { em, caller, services }: Context,
  ): Promise<DataSource | null> {
    return services.dataSources.find(em, caller, id);
  }

  @Authorized("editor")
  @Mutation(() => DataSource, {
    description: "Connects to the source first; database sources then get their catalog read in the background",
  })
  async registerDataSource(
    @Arg("input", () => RegisterDataSourceInput) input: RegisterDataSourceInput,
    @Ctx() { em, caller, services }: Context,
  ): Promise<DataSource> {
    requireUser(caller);
    const audit = {
      action: "datasource.registered",
      caller,
      resourceType: "DataSource",
      details: { name: input.name, kind: input.kind },
    };
    return audited(
      services.audit,
      audit,
      () => services.dataSources.register(em, caller, input),
      (s) => ({ resourceId: s.id }),
    );
  }

  @Authorized("editor")
  @Mutation(() => Boolean, { description: "Deletes the source with its stored catalog" })
  async deleteDataSource(@Arg("id", () => ID) id: string, @Ctx() { em, caller, services }: Context): Promise<boolean> {
    const audit = { action: "datasource.deleted", caller, resourceType: "DataSource", resourceId: id };
    return audited(services.audit, audit, () => services.dataSources.delete(em, caller, id));
  }

  @Authorized("editor")
  @Mutation(() => CatalogRefreshJob, { description: "Reads the source's tables again, as a job to poll" })
  async refreshCatalog(
    @Arg("dataSourceId", () => ID) dataSourceId: string,
    @Ctx() { em, caller, services }: Context,
  ): Promise<CatalogRefreshJob> {
    return services.dataSources.refreshCatalog(em, caller, dataSourceId);
  }

  @Authorized()
  @Query(() => CatalogRefreshJob, { nullable: true, description: "Poll a catalog refresh started by refreshCatalog" })
  async catalogRefreshStatus(
    @Arg("jobId", () => ID) jobId: string,
    @Ctx() { em, caller, services }: Context,
  ): Promise<CatalogRefreshJob | null> {
    return services.dataSources.job(em, caller, jobId);
  }

  @Authorized()
  @Query(() => [CatalogTable], {
    description: "Tables whose name, comment, or column names or comments contain every word, best first",
  })
  async searchCatalog(
    @Arg("query") query: string,
    @Arg("dataSourceId", () => ID, { nullable: true }) dataSourceId: string | null,
    @Arg("first", () => Int, { defaultValue: 50 }) first: number,
    @Ctx() { em, caller, services }: Context,
  ): Promise<CatalogTable[]> {
    return services.dataSources.searchCatalog(em, caller, query, dataSourceId, first);
  }

  @FieldResolver(() => [CatalogTable], { description: "The stored catalog; works while the source is down" })
  async tables(
    @Root() source: DataSource,
    @Arg("search", () => String, { nullable: true }) search: string | null,
    @Ctx() { em, services }: Context,
  ): Promise<CatalogTable[]> {
    return services.dataSources.tables(em, source, search);
  }

  @FieldResolver(() => CatalogRefreshJob, { nullable: true, description: "The latest catalog refresh" })
  async catalogRefresh(
    @Root() source: DataSource,
    @Ctx() { em, services }: Context,
  ): Promise<CatalogRefreshJob | null> {
    return services.dataSources.latestJob(em, source.id);
  }

  @FieldResolver(() => User, { nullable: true })
  owner(@Root() source: DataSource): User {
    return { id: source.ownerId };
  }
}

@Resolver(() => CatalogTable)
export class CatalogTableResolver {
  @FieldResolver(() => DataSource, { nullable: true })
  async dataSource(@Root() table: CatalogTable, @Ctx() { em, caller, services }: Context): Promise<DataSource | null> {
    return services.dataSources.find(em, caller, table.dataSourceId);
  }
}
