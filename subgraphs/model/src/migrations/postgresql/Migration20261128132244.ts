import { Migration } from '@mikro-orm/migrations';

export class Migration20261128132244 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "model_model" ("id" varchar(36) not null, "name" varchar(200) not null, "kind" varchar(16) not null, "provider" varchar(32) not null, "base_url" varchar(2000) null, "api_key_encrypted" text null, "upstream_model" varchar(200) null, "context_length" int null, "dimensions" int null, "default_params" jsonb null, "description" text null, "owner_id" varchar(36) null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "model_model_pkey" primary key ("id"));`);
    this.addSql(`alter table "model_model" add constraint "model_model_name_unique" unique ("name");`);
    this.addSql(`create index "model_model_owner_id_index" on "model_model" ("owner_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "model_model" cascade;`);
  }

}
