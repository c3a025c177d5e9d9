import { Entity, OptionalProps, PrimaryKey, Property } from "@mikro-orm/core";

/** The one-time link that creates the first admin of a fresh install when none was configured. */
@Entity({ tableName: "identity_setup_token" })
export class SetupToken {
  [OptionalProps]?: "createdAt";

  @PrimaryKey({ type: "string", length: 64 })
  tokenHash: string;

  @Property({ type: "datetime" })
  createdAt: Date = new Date();

  @Property({ type: "datetime", nullable: true })
  usedAt?: Date | null;
}
