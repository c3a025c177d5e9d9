import type { EntityManager } from "@mikro-orm/core";
import { CatalogRefreshJob, CatalogRefreshState } from "../entities/catalog-refresh-job.js";
import { DatasetJobStatus, DatasetStatsJob } from "../entities/dataset-stats-job.js";

const REASON = "Interrupted by a restart: run it again";

/**
 * Marks jobs that a previous process left QUEUED or RUNNING as FAILED, so nobody waits on progress that will never
 * come; the user reruns them. Jobs run inside the process that started them, so at start-up none can be live.
 *
 * @remarks With several dataset replicas on one database this would also fail a replica's live jobs; the job queue
 * port (BullMQ in production) replaces in-process jobs before the subgraph is scaled out.
 * @returns how many jobs were marked
 */
export async function failInterruptedJobs(em: EntityManager): Promise<number> {
  const now = new Date();
  const catalog = await em.nativeUpdate(
    CatalogRefreshJob,
    { status: { $in: [CatalogRefreshState.QUEUED, CatalogRefreshState.RUNNING] } },
    { status: CatalogRefreshState.FAILED, error: REASON, finishedAt: now },
  );
  const stats = await em.nativeUpdate(
    DatasetStatsJob,
    { status: { $in: [DatasetJobStatus.QUEUED, DatasetJobStatus.RUNNING] } },
    { status: DatasetJobStatus.FAILED, error: REASON, finishedAt: now },
  );
  return catalog + stats;
}
