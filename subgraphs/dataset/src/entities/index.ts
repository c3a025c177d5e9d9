import { Dataset } from "./dataset.js";

export { Dataset };
export { DatasetColumn, DatasetFormat } from "./dataset.js";
export const entities = [Dataset];
