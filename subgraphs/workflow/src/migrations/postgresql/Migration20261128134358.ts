import { Migration } from '@mikro-orm/migrations';

export class Migration20261128134358 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "workflow_workflow" ("id" varchar(36) not null, "name" varchar(200) not null, "description" text not null default '', "owner_id" varchar(36) not null, "nodes" jsonb not null, "edges" jsonb not null, "version" int not null default 1, "last_execution_id" varchar(36) null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "workflow_workflow_pkey" primary key ("id"));`);
    this.addSql(`create index "workflow_workflow_owner_id_index" on "workflow_workflow" ("owner_id");`);

    this.addSql(`create table "workflow_execution" ("id" varchar(36) not null, "workflow_id" varchar(36) not null, "workflow_version" int not null, "status" text check ("status" in ('PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')) not null default 'PENDING', "inputs" jsonb not null, "outputs" jsonb null, "error" text null, "last_seq" int not null default 0, "started_at" timestamptz null, "finished_at" timestamptz null, "created_at" timestamptz not null, "heartbeat_at" timestamptz not null, "triggered_by" varchar(36) not null, constraint "workflow_execution_pkey" primary key ("id"));`);
    this.addSql(`create index "workflow_execution_workflow_id_index" on "workflow_execution" ("workflow_id");`);

    this.addSql(`create table "workflow_node_run" ("id" varchar(36) not null, "execution_id" varchar(36) not null, "position" int not null, "node_id" varchar(64) not null, "node_type" varchar(64) not null, "status" text check ("status" in ('RUNNING', 'SUCCEEDED', 'FAILED', 'SKIPPED')) not null default 'RUNNING', "inputs" jsonb not null, "outputs" jsonb null, "error" text null, "started_at" timestamptz null, "finished_at" timestamptz null, "duration_ms" int null, constraint "workflow_node_run_pkey" primary key ("id"));`);
    this.addSql(`create index "workflow_node_run_execution_id_index" on "workflow_node_run" ("execution_id");`);

    this.addSql(`alter table "workflow_execution" add constraint "workflow_execution_workflow_id_foreign" foreign key ("workflow_id") references "workflow_workflow" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "workflow_node_run" add constraint "workflow_node_run_execution_id_foreign" foreign key ("execution_id") references "workflow_execution" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "workflow_execution" drop constraint "workflow_execution_workflow_id_foreign";`);

    this.addSql(`alter table "workflow_node_run" drop constraint "workflow_node_run_execution_id_foreign";`);

    this.addSql(`drop table if exists "workflow_workflow" cascade;`);

    this.addSql(`drop table if exists "workflow_execution" cascade;`);

    this.addSql(`drop table if exists "workflow_node_run" cascade;`);
  }

}
