import { Migration } from '@mikro-orm/migrations';

export class Migration20261128161701 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "conversation_conversation" ("id" varchar(36) not null, "title" varchar(200) not null, "owner_id" varchar(36) not null, "model_id" varchar(200) not null, "system_prompt" text null, "prompt_template" jsonb null, "params" jsonb not null, "pinned" boolean not null default false, "knowledge_base_ids" jsonb not null, "retrieval" jsonb null, "revision" int not null default 0, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "conversation_conversation_pkey" primary key ("id"));`);
    this.addSql(`create index "conversation_conversation_owner_id_pinned_updated_at_index" on "conversation_conversation" ("owner_id", "pinned", "updated_at");`);

    this.addSql(`create table "conversation_knowledge_base" ("id" varchar(36) not null, "name" varchar(200) not null, "description" text null, "owner_id" varchar(36) not null, "embedding_model_id" varchar(200) not null, "dimensions" int null, "chunking" jsonb not null, "retrieval" jsonb not null, "settings_version" int not null default 1, "content_version" int not null default 0, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "conversation_knowledge_base_pkey" primary key ("id"));`);
    this.addSql(`create index "conversation_knowledge_base_owner_id_updated_at_index" on "conversation_knowledge_base" ("owner_id", "updated_at");`);

    this.addSql(`create table "conversation_knowledge_document" ("id" varchar(36) not null, "knowledge_base_id" varchar(36) not null, "title" varchar(300) not null, "source" text check ("source" in ('UPLOAD', 'TEXT', 'DATASET')) not null, "object_key" varchar(1024) null, "mime_type" varchar(200) null, "bytes" bigint null, "format" varchar(16) null, "dataset_id" varchar(36) null, "row_template" text null, "metadata" jsonb not null, "status" text check ("status" in ('QUEUED', 'PARSING', 'EMBEDDING', 'READY', 'FAILED')) not null default 'QUEUED', "progress" double precision not null default 0, "chunk_count" int not null default 0, "error" text null, "indexed_version" int not null default 0, "attempts" int not null default 0, "lease_until" timestamptz null, "lease_owner" varchar(64) null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "conversation_knowledge_document_pkey" primary key ("id"));`);
    this.addSql(`create index "conversation_knowledge_document_status_lease_until_index" on "conversation_knowledge_document" ("status", "lease_until");`);
    this.addSql(`create index "conversation_knowledge_document_knowledge_base_id__489f5_index" on "conversation_knowledge_document" ("knowledge_base_id", "created_at");`);

    this.addSql(`create table "conversation_knowledge_chunk" ("id" varchar(40) not null, "document_id" varchar(36) not null, "knowledge_base_id" varchar(36) not null, "position" int not null, "content" text not null, "start" int not null, "end" int not null, "heading" varchar(500) null, "parent_content" text null, "enabled" boolean not null default true, "edited" boolean not null default false, "embedded" boolean not null default false, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "conversation_knowledge_chunk_pkey" primary key ("id"));`);
    this.addSql(`create index "conversation_knowledge_chunk_document_id_embedded_index" on "conversation_knowledge_chunk" ("document_id", "embedded");`);
    this.addSql(`create index "conversation_knowledge_chunk_knowledge_base_id_enabled_index" on "conversation_knowledge_chunk" ("knowledge_base_id", "enabled");`);

    this.addSql(`create table "conversation_message" ("id" varchar(36) not null, "conversation_id" varchar(36) not null, "position" int not null, "parent_id" varchar(36) null, "selected" boolean not null default true, "selected_revision" int not null default 0, "alternative_index" int not null default 1, "role" text check ("role" in ('USER', 'ASSISTANT', 'SYSTEM')) not null, "content" text not null, "status" text check ("status" in ('STREAMING', 'COMPLETE', 'STOPPED', 'FAILED')) not null, "model_id" varchar(200) null, "usage" jsonb null, "ttft_ms" int null, "latency_ms" int null, "error_code" varchar(64) null, "error_reason" text null, "citations" jsonb not null, "feedback" jsonb null, "last_seq" int not null default 0, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "conversation_message_pkey" primary key ("id"));`);
    this.addSql(`create index "conversation_message_status_index" on "conversation_message" ("status");`);
    this.addSql(`create index "conversation_message_conversation_id_position_index" on "conversation_message" ("conversation_id", "position");`);

    this.addSql(`alter table "conversation_knowledge_document" add constraint "conversation_knowledge_document_knowledge_base_id_foreign" foreign key ("knowledge_base_id") references "conversation_knowledge_base" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "conversation_knowledge_chunk" add constraint "conversation_knowledge_chunk_document_id_foreign" foreign key ("document_id") references "conversation_knowledge_document" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "conversation_message" add constraint "conversation_message_conversation_id_foreign" foreign key ("conversation_id") references "conversation_conversation" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "conversation_message" drop constraint "conversation_message_conversation_id_foreign";`);

    this.addSql(`alter table "conversation_knowledge_document" drop constraint "conversation_knowledge_document_knowledge_base_id_foreign";`);

    this.addSql(`alter table "conversation_knowledge_chunk" drop constraint "conversation_knowledge_chunk_document_id_foreign";`);

    this.addSql(`drop table if exists "conversation_conversation" cascade;`);

    this.addSql(`drop table if exists "conversation_knowledge_base" cascade;`);

    this.addSql(`drop table if exists "conversation_knowledge_document" cascade;`);

    this.addSql(`drop table if exists "conversation_knowledge_chunk" cascade;`);

    this.addSql(`drop table if exists "conversation_message" cascade;`);
  }

}
