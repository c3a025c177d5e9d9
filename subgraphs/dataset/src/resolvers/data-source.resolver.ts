import {
  audited,
  requireUser,
  ResourceAccess,
  ResourceShareType,
  ShareInput,
  toResourceShare,
  type SubgraphContext,
  connectionType,
} from "@ods/kit";
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
import { loaders } from "./loaders.js";

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

@InputType({ description: "What to change of a data source; what is left out stays as it is" })
export class UpdateDataSourceInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description:
      "A new connection of the source's kind, in the shape registerDataSource takes (SQLITE: admins only). " +
      "Tested before it is saved; stored encrypted and never returned.",
  })
  connection?: unknown;
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
  @Query(() => DataSourceConnection, {
    description: "The data sources you registered and those shared with you (admins see all)",
  })
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
  @Mutation(() => DataSource, {
    description:
      "Renames the source or gives it a new connection (tested first; its catalog is then read again). " +
      "Its owner, admins, and those it is shared with as EDITOR.",
  })
  async updateDataSource(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateDataSourceInput) input: UpdateDataSourceInput,
    @Ctx() { em, caller, services }: Context,
  ): Promise<DataSource> {
    // Only whether the connection changed is recorded: the connection itself holds secrets.
    const details = { name: input.name ?? undefined, connectionChanged: input.connection != null };
    const audit = { action: "datasource.updated", caller, resourceType: "DataSource", resourceId: id, details };
    return audited(services.audit, audit, () => services.dataSources.update(em, caller, id, { ...input }));
  }

  @Authorized("editor")
  @Mutation(() => Boolean, { description: "Deletes the source with its stored catalog and its shares" })
  async deleteDataSource(@Arg("id", () => ID) id: string, @Ctx() { em, caller, services }: Context): Promise<boolean> {
    const audit = { action: "datasource.deleted", caller, resourceType: "DataSource", resourceId: id };
    return audited(services.audit, audit, () => services.dataSources.delete(em, caller, id));
  }

  @Authorized("editor")
  @Mutation(() => ResourceShareType, {
    description:
      "Shares the source with a user (by id or email) or everyone with a role: VIEWER may see, query and build " +
      "datasets on it (never seeing its credentials), EDITOR also change it. Sharing again with the same user " +
      "or role changes the permission. Owners and admins.",
  })
  async shareDataSource(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => ShareInput) input: ShareInput,
    @Ctx() { em, caller, services }: Context,
  ): Promise<ResourceShareType> {
    return toResourceShare(await services.dataSources.share(em, caller, id, { ...input }));
  }

  @Authorized("editor")
  @Mutation(() => Boolean, { description: "Ends one share of the source; false when it had no such share." })
  async unshareDataSource(
    @Arg("id", () => ID) id: string,
    @Arg("shareId", () => ID) shareId: string,
    @Ctx() { em, caller, services }: Context,
  ): Promise<boolean> {
    return services.dataSources.unshare(em, caller, id, shareId);
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

  @FieldResolver(() => ResourceAccess, { description: "What the signed-in user may do with this source." })
  async access(@Root() source: DataSource, @Ctx() ctx: Context): Promise<ResourceAccess> {
    return loaders(ctx).dataSourceAccess.load(source);
  }

  @FieldResolver(() => [ResourceShareType], {
    description: "Whom the source is shared with; empty unless the signed-in user owns it or is an admin.",
  })
  async shares(@Root() source: DataSource, @Ctx() { em, caller, services }: Context): Promise<ResourceShareType[]> {
    return (await services.dataSources.shares(em, caller, source)).map(toResourceShare);
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
