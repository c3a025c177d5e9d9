import { Entity, Index, Unique } from "@mikro-orm/core";
import { ResourceShareBase } from "@ods/kit";

/** A knowledge base shared with a user or a role (kit's sharing). */
@Entity({ tableName: "conversation_resource_share" })
@Unique({ properties: ["resourceType", "resourceId", "principalType", "principalId"] })
@Index({ properties: ["principalType", "principalId", "resourceType"] })
export class ConversationShare extends ResourceShareBase {}
