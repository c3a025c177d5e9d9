export { CallTracker, type UsageData } from "./call-tracker.js";
export type { CallEndResult, CallObserver, CallStartInfo } from "./observer.js";
export { groupUsage, percentile, totals } from "./stats.js";
export type { UsageDimension, UsageFacts, UsageGroup, UsageTotals } from "./stats.js";
export { UsageService } from "./usage-service.js";
export { usageCsv } from "./csv.js";
