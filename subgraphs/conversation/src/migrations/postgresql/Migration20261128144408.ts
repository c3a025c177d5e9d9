import { Migration } from '@mikro-orm/migrations';

export class Migration20261128144408 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "conversation_conversation" ("id" varchar(36) not null, "title" varchar(200) not null, "owner_id" varchar(36) not null, "model_id" varchar(200) not null, "system_prompt" text null, "prompt_template" jsonb null, "params" jsonb not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "conversation_conversation_pkey" primary key ("id"));`);
    this.addSql(`create index "conversation_conversation_owner_id_updated_at_index" on "conversation_conversation" ("owner_id", "updated_at");`);

    this.addSql(`create table "conversation_message" ("id" varchar(36) not null, "conversation_id" varchar(36) not null, "position" int not null, "role" text check ("role" in ('USER', 'ASSISTANT', 'SYSTEM')) not null, "content" text not null, "status" text check ("status" in ('STREAMING', 'COMPLETE', 'STOPPED', 'FAILED')) not null, "model_id" varchar(200) null, "usage" jsonb null, "ttft_ms" int null, "latency_ms" int null, "error_code" varchar(64) null, "error_reason" text null, "last_seq" int not null default 0, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "conversation_message_pkey" primary key ("id"));`);
    this.addSql(`create index "conversation_message_status_index" on "conversation_message" ("status");`);
    this.addSql(`alter table "conversation_message" add constraint "conversation_message_conversation_id_position_unique" unique ("conversation_id", "position");`);

    this.addSql(`alter table "conversation_message" add constraint "conversation_message_conversation_id_foreign" foreign key ("conversation_id") references "conversation_conversation" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "conversation_message" drop constraint "conversation_message_conversation_id_foreign";`);

    this.addSql(`drop table if exists "conversation_conversation" cascade;`);

    this.addSql(`drop table if exists "conversation_message" cascade;`);
  }

}
