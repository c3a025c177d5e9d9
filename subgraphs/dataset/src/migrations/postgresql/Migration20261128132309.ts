import { Migration } from '@mikro-orm/migrations';

export class Migration20261128132309 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "dataset_dataset" ("id" varchar(36) not null, "name" varchar(200) not null, "description" text null, "storage_path" varchar(1024) not null, "format" text check ("format" in ('CSV', 'JSONL', 'JSON', 'PARQUET')) not null, "tags" jsonb not null, "columns" jsonb not null, "size_bytes" bigint not null, "owner_id" varchar(36) not null, "created_at" timestamptz(3) not null, "updated_at" timestamptz(3) not null, "deleted_at" timestamptz(3) null, constraint "dataset_dataset_pkey" primary key ("id"));`);
    this.addSql(`create index "dataset_dataset_deleted_at_created_at_index" on "dataset_dataset" ("deleted_at", "created_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "dataset_dataset" cascade;`);
  }

}
