import type { EntityManager } from "@mikro-orm/core";
import type { SubgraphContext } from "@ods/kit";
import DataLoader from "dataloader";
import { Model } from "./entities/index.js";
import type { ModelServices } from "./services/index.js";

// One loader per request (per unit of work): all `Model` references of one query plan load in one query.
const loaders = new WeakMap<EntityManager, DataLoader<string, Model | null>>();

/** Resolves `Model` references from other subgraphs (`Conversation.model`, `KnowledgeBase.embeddingModel`). */
export async function resolveModelReference(
  ref: { id: string },
  { em }: SubgraphContext<ModelServices>,
): Promise<Model | null> {
  let loader = loaders.get(em);
  if (!loader) {
    loader = new DataLoader(async (ids: readonly string[]) => {
      const rows = await em.find(Model, { id: { $in: [...ids] } });
      const byId = new Map(rows.map((m) => [m.id, m]));
      return ids.map((id) => byId.get(id) ?? null);
    });
    loaders.set(em, loader);
  }
  return loader.load(ref.id);
}
