import { Migration } from '@mikro-orm/migrations';

export class Migration20261128140138 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "dataset_ask_history" ("id" varchar(36) not null, "owner_id" varchar(36) not null, "question" text not null, "sql" text not null, "explanation" text not null default '', "tables_used" jsonb not null, "dialect" varchar(16) not null, "data_source_id" varchar(36) null, "dataset_ids" jsonb not null, "tables" jsonb null, "model_id" varchar(200) not null, "starred" boolean not null default false, "created_at" timestamptz(3) not null, constraint "dataset_ask_history_pkey" primary key ("id"));`);
    this.addSql(`create index "dataset_ask_history_owner_id_created_at_index" on "dataset_ask_history" ("owner_id", "created_at");`);

    this.addSql(`create table "dataset_catalog_refresh_job" ("id" varchar(36) not null, "data_source_id" varchar(36) not null, "status" text check ("status" in ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED')) not null default 'QUEUED', "tables_done" int not null default 0, "tables_total" int null, "error" text null, "created_at" timestamptz(3) not null, "started_at" timestamptz(3) null, "finished_at" timestamptz(3) null, constraint "dataset_catalog_refresh_job_pkey" primary key ("id"));`);
    this.addSql(`create index "dataset_catalog_refresh_job_data_source_id_created_at_index" on "dataset_catalog_refresh_job" ("data_source_id", "created_at");`);

    this.addSql(`create table "dataset_catalog_table" ("id" varchar(36) not null, "data_source_id" varchar(36) not null, "schema" varchar(255) null, "name" varchar(255) not null, "comment" text null, "row_count" bigint null, "columns" jsonb not null, "search_text" text not null, constraint "dataset_catalog_table_pkey" primary key ("id"));`);
    this.addSql(`create index "dataset_catalog_table_data_source_id_index" on "dataset_catalog_table" ("data_source_id");`);

    this.addSql(`create table "dataset_dataset" ("id" varchar(36) not null, "name" varchar(200) not null, "description" text null, "storage_path" varchar(1024) not null, "data_source_id" varchar(36) null, "csv" jsonb null, "current_version" int not null default 1, "format" text check ("format" in ('CSV', 'JSONL', 'JSON', 'PARQUET')) not null, "tags" jsonb not null, "columns" jsonb not null, "size_bytes" bigint not null, "owner_id" varchar(36) not null, "created_at" timestamptz(3) not null, "updated_at" timestamptz(3) not null, "deleted_at" timestamptz(3) null, constraint "dataset_dataset_pkey" primary key ("id"));`);
    this.addSql(`create index "dataset_dataset_deleted_at_created_at_index" on "dataset_dataset" ("deleted_at", "created_at");`);

    this.addSql(`create table "dataset_stats_job" ("id" varchar(36) not null, "dataset_id" varchar(36) not null, "version" int not null, "status" text check ("status" in ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED')) not null default 'QUEUED', "progress" double precision not null default 0, "rows_done" double precision not null default 0, "error" text null, "stats" jsonb null, "created_at" timestamptz(3) not null, "finished_at" timestamptz(3) null, constraint "dataset_stats_job_pkey" primary key ("id"));`);
    this.addSql(`create index "dataset_stats_job_dataset_id_created_at_index" on "dataset_stats_job" ("dataset_id", "created_at");`);

    this.addSql(`create table "dataset_version" ("id" varchar(36) not null, "dataset_id" varchar(36) not null, "number" int not null, "storage_path" varchar(1024) not null, "data_source_id" varchar(36) null, "format" text check ("format" in ('CSV', 'JSONL', 'JSON', 'PARQUET')) not null, "csv" jsonb null, "checksum" varchar(64) not null, "rows" bigint null, "bytes" bigint not null, "columns" jsonb not null, "created_by_id" varchar(36) not null, "created_at" timestamptz(3) not null, constraint "dataset_version_pkey" primary key ("id"));`);
    this.addSql(`create index "dataset_version_dataset_id_index" on "dataset_version" ("dataset_id");`);
    this.addSql(`alter table "dataset_version" add constraint "dataset_version_dataset_id_number_unique" unique ("dataset_id", "number");`);

    this.addSql(`create table "dataset_data_source" ("id" varchar(36) not null, "name" varchar(200) not null, "kind" text check ("kind" in ('S3', 'POSTGRES', 'MYSQL', 'SQLITE')) not null, "encrypted_connection" text not null, "connection" jsonb not null, "owner_id" varchar(36) not null, "created_at" timestamptz(3) not null, "updated_at" timestamptz(3) not null, "catalog_refreshed_at" timestamptz(3) null, constraint "dataset_data_source_pkey" primary key ("id"));`);
    this.addSql(`create index "dataset_data_source_owner_id_created_at_index" on "dataset_data_source" ("owner_id", "created_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "dataset_ask_history" cascade;`);

    this.addSql(`drop table if exists "dataset_catalog_refresh_job" cascade;`);

    this.addSql(`drop table if exists "dataset_catalog_table" cascade;`);

    this.addSql(`drop table if exists "dataset_dataset" cascade;`);

    this.addSql(`drop table if exists "dataset_stats_job" cascade;`);

    this.addSql(`drop table if exists "dataset_version" cascade;`);

    this.addSql(`drop table if exists "dataset_data_source" cascade;`);
  }

}
