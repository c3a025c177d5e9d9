import { TextType, type EntityProperty, type Platform } from "@mikro-orm/core";

/**
 * A `text` column that holds a whole chat reply on every dialect.
 *
 * @remarks MariaDB's `text` stops at 64 KiB, below a 100 000-character message in UTF-8, so there it is
 * `mediumtext` (16 MiB); SQLite and PostgreSQL `text` have no practical limit.
 */
export class LongTextType extends TextType {
  override getColumnType(prop: EntityProperty, platform: Platform): string {
    return /maria|mysql/i.test(platform.constructor.name) ? "mediumtext" : super.getColumnType(prop, platform);
  }
}
