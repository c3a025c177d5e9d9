import type { ResourceAccess, SubgraphContext } from "@ods/kit";
import DataLoader from "dataloader";
import type { DataSource } from "../entities/index.js";
import type { DatasetServices } from "../services/index.js";

export interface Loaders {
  /** What the caller may do with each data source. */
  dataSourceAccess: DataLoader<DataSource, ResourceAccess>;
}

// One set per request: the context object lives exactly as long as the request, so it keys the cache.
const perRequest = new WeakMap<object, Loaders>();

/** The request's DataLoaders, so list fields load in one query per level instead of one per row. */
export function loaders(ctx: SubgraphContext<DatasetServices>): Loaders {
  let found = perRequest.get(ctx);
  if (!found) {
    const { em, caller, services } = ctx;
    found = {
      dataSourceAccess: new DataLoader((sources) => services.dataSources.accessOf(em, caller, sources), {
        cacheKeyFn: (s) => s.id,
      }),
    };
    perRequest.set(ctx, found);
  }
  return found;
}
