import { Entity, Index, Unique } from "@mikro-orm/core";
import { ResourceShareBase } from "@ods/kit";

/** A data source shared with a user or a role (kit's sharing). */
@Entity({ tableName: "dataset_resource_share" })
@Unique({ properties: ["resourceType", "resourceId", "principalType", "principalId"] })
@Index({ properties: ["principalType", "principalId", "resourceType"] })
export class DatasetShare extends ResourceShareBase {}
