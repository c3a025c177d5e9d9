import { Entity, OptionalProps, PrimaryKey, Property } from "@mikro-orm/core";

/**
 * Failed sign-ins counted per account (`account:<email>`) and per client address (`ip:<address>`). Kept in the
 * database, not in memory, so every identity replica sees the same count and a restart does not reset a lock.
 */
@Entity({ tableName: "identity_login_throttle" })
export class LoginThrottle {
  [OptionalProps]?: "failures";

  @PrimaryKey({ type: "string", length: 400 })
  key: string;

  @Property({ type: "integer" })
  failures: number = 0;

  @Property({ type: "datetime" })
  lastFailureAt: Date;

  @Property({ type: "datetime", nullable: true })
  lockedUntil?: Date | null;
}
