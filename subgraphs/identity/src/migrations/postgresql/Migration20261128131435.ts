import { Migration } from '@mikro-orm/migrations';

export class Migration20261128131435 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "identity_api_key" ("id" varchar(36) not null, "name" varchar(200) not null, "user_id" varchar(36) not null, "prefix" varchar(20) not null, "secret_hash" varchar(64) not null, "scopes" jsonb not null, "created_at" timestamptz not null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, constraint "identity_api_key_pkey" primary key ("id"));`);
    this.addSql(`create index "identity_api_key_user_id_index" on "identity_api_key" ("user_id");`);
    this.addSql(`alter table "identity_api_key" add constraint "identity_api_key_prefix_unique" unique ("prefix");`);

    this.addSql(`create table "identity_setup_token" ("token_hash" varchar(64) not null, "created_at" timestamptz not null, "used_at" timestamptz null, constraint "identity_setup_token_pkey" primary key ("token_hash"));`);

    this.addSql(`create table "identity_signing_key" ("kid" varchar(64) not null, "private_jwk_encrypted" text not null, "public_jwk" jsonb not null, "created_at" timestamptz not null, constraint "identity_signing_key_pkey" primary key ("kid"));`);

    this.addSql(`create table "identity_user" ("id" varchar(36) not null, "email" varchar(320) not null, "name" varchar(200) not null, "password_hash" varchar(200) not null, "roles" jsonb not null, "disabled" boolean not null default false, "created_at" timestamptz not null, constraint "identity_user_pkey" primary key ("id"));`);
    this.addSql(`alter table "identity_user" add constraint "identity_user_email_unique" unique ("email");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "identity_api_key" cascade;`);

    this.addSql(`drop table if exists "identity_setup_token" cascade;`);

    this.addSql(`drop table if exists "identity_signing_key" cascade;`);

    this.addSql(`drop table if exists "identity_user" cascade;`);
  }

}
