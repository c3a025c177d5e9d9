import type { SubgraphContext } from "@ods/kit";
import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import { Dataset, Workflow } from "../entities/index.js";
import type { WorkflowServices } from "../services/index.js";
import { loaders } from "./loaders.js";

@Resolver(() => Dataset)
export class DatasetLineageResolver {
  @FieldResolver(() => [Workflow], {
    description: "Lineage: the caller's workflows whose current graph has a dataset node reading this dataset.",
  })
  async workflows(@Root() dataset: Dataset, @Ctx() ctx: SubgraphContext<WorkflowServices>): Promise<Workflow[]> {
    return loaders(ctx).datasetWorkflows.load(dataset.id);
  }
}
