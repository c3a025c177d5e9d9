import { Migration } from '@mikro-orm/migrations';

export class Migration20261128185448 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "workflow_resource_share" ("id" varchar(36) not null, "resource_type" varchar(40) not null, "resource_id" varchar(36) not null, "principal_type" varchar(8) not null, "principal_id" varchar(36) not null, "principal_email" varchar(320) null, "permission" varchar(8) not null, "created_by_id" varchar(36) not null, "created_at" timestamptz not null, constraint "workflow_resource_share_pkey" primary key ("id"));`);
    this.addSql(`create index "workflow_resource_share_principal_type_principal_i_84013_index" on "workflow_resource_share" ("principal_type", "principal_id", "resource_type");`);
    this.addSql(`alter table "workflow_resource_share" add constraint "workflow_resource_share_resource_type_resource_id_7982a_unique" unique ("resource_type", "resource_id", "principal_type", "principal_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "workflow_resource_share" cascade;`);
  }

}
