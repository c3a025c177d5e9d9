import { z } from "zod";
import type { UsageDimension } from "./stats.js";

const DIMENSIONS = ["USER", "MODEL", "DAY", "API_KEY"] as const;
const date = z.iso.datetime({ offset: true, error: "must be an ISO date-time" }).or(z.iso.date()).optional();

/** The query of `GET /v1/usage.csv`: `since` and `until` (ISO dates), `groupBy` (comma-separated; default DAY,MODEL). */
export const usageCsvQuery = z
  .object({
    since: date,
    until: date,
    groupBy: z
      .string()
      .optional()
      .transform((v, ctx) => {
        const list = (v ?? "DAY,MODEL")
          .split(",")
          .map((d) => d.trim().toUpperCase())
          .filter(Boolean);
        const bad = list.filter((d) => !(DIMENSIONS as readonly string[]).includes(d));
        if (bad.length > 0) {
          ctx.addIssue({ code: "custom", message: `unknown ${bad.join(", ")}; use ${DIMENSIONS.join(", ")}` });
          return z.NEVER;
        }
        return [...new Set(list)] as UsageDimension[];
      }),
  })
  .transform((q) => ({
    groupBy: q.groupBy,
    since: q.since ? new Date(q.since) : null,
    until: q.until ? new Date(q.until) : null,
  }));
