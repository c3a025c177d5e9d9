import { Entity, OptionalProps, PrimaryKey, Property } from "@mikro-orm/core";

/**
 * The asymmetric key that signs access tokens. Kept in the database (private half encrypted) so that every
 * replica signs with the same key and a restart does not sign everyone out.
 */
@Entity({ tableName: "identity_signing_key" })
export class SigningKey {
  [OptionalProps]?: "createdAt";

  @PrimaryKey({ type: "string", length: 64 })
  kid: string;

  @Property({ type: "text" })
  privateJwkEncrypted: string;

  @Property({ type: "json" })
  publicJwk: Record<string, unknown>;

  @Property({ type: "datetime" })
  createdAt: Date = new Date();

  /**
   * When a newer key took over signing. A retired key stays in the JWKS for one access-token lifetime, so the
   * tokens it signed keep verifying until they expire: rotation signs nobody out.
   */
  @Property({ type: "datetime", nullable: true })
  retiredAt?: Date | null;
}
