import { Migration } from '@mikro-orm/migrations';

export class Migration20261128164355 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "identity_api_key" ("id" varchar(36) not null, "name" varchar(200) not null, "user_id" varchar(36) not null, "prefix" varchar(20) not null, "secret_hash" varchar(64) not null, "scopes" jsonb not null, "expires_at" timestamptz null, "created_at" timestamptz not null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, constraint "identity_api_key_pkey" primary key ("id"));`);
    this.addSql(`create index "identity_api_key_user_id_index" on "identity_api_key" ("user_id");`);
    this.addSql(`alter table "identity_api_key" add constraint "identity_api_key_prefix_unique" unique ("prefix");`);

    this.addSql(`create table "identity_audit_event" ("id" varchar(36) not null, "at" timestamptz not null, "action" varchar(64) not null, "category" varchar(16) not null, "outcome" varchar(16) not null, "actor_type" varchar(16) not null, "actor_id" varchar(64) null, "resource_type" varchar(64) null, "resource_id" varchar(200) null, "ip" varchar(64) null, "request_id" varchar(128) null, "details" jsonb null, constraint "identity_audit_event_pkey" primary key ("id"));`);
    this.addSql(`create index "identity_audit_event_at_index" on "identity_audit_event" ("at");`);
    this.addSql(`create index "identity_audit_event_category_at_index" on "identity_audit_event" ("category", "at");`);
    this.addSql(`create index "identity_audit_event_resource_type_resource_id_index" on "identity_audit_event" ("resource_type", "resource_id");`);
    this.addSql(`create index "identity_audit_event_action_at_index" on "identity_audit_event" ("action", "at");`);
    this.addSql(`create index "identity_audit_event_actor_id_at_index" on "identity_audit_event" ("actor_id", "at");`);

    this.addSql(`create table "identity_login_throttle" ("key" varchar(400) not null, "failures" int not null default 0, "last_failure_at" timestamptz not null, "locked_until" timestamptz null, constraint "identity_login_throttle_pkey" primary key ("key"));`);

    this.addSql(`create table "identity_refresh_token" ("token_hash" varchar(64) not null, "session_id" varchar(36) not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "retired_at" timestamptz null, constraint "identity_refresh_token_pkey" primary key ("token_hash"));`);
    this.addSql(`create index "identity_refresh_token_session_id_index" on "identity_refresh_token" ("session_id");`);

    this.addSql(`create table "identity_session" ("id" varchar(36) not null, "user_id" varchar(36) not null, "method" varchar(20) not null, "user_agent" varchar(300) null, "ip" varchar(64) null, "created_at" timestamptz not null, "last_used_at" timestamptz not null, "expires_at" timestamptz not null, "revoked_at" timestamptz null, "revoked_reason" varchar(40) null, constraint "identity_session_pkey" primary key ("id"));`);
    this.addSql(`create index "identity_session_user_id_index" on "identity_session" ("user_id");`);
    this.addSql(`create index "identity_session_revoked_at_index" on "identity_session" ("revoked_at");`);

    this.addSql(`create table "identity_setup_token" ("token_hash" varchar(64) not null, "created_at" timestamptz not null, "used_at" timestamptz null, constraint "identity_setup_token_pkey" primary key ("token_hash"));`);

    this.addSql(`create table "identity_signing_key" ("kid" varchar(64) not null, "private_jwk_encrypted" text not null, "public_jwk" jsonb not null, "created_at" timestamptz not null, "retired_at" timestamptz null, constraint "identity_signing_key_pkey" primary key ("kid"));`);

    this.addSql(`create table "identity_user" ("id" varchar(36) not null, "email" varchar(320) not null, "name" varchar(200) not null, "password_hash" varchar(200) null, "oidc_issuer" varchar(500) null, "oidc_subject" varchar(255) null, "roles" jsonb not null, "disabled" boolean not null default false, "disabled_at" timestamptz null, "last_login_at" timestamptz null, "created_at" timestamptz not null, constraint "identity_user_pkey" primary key ("id"));`);
    this.addSql(`alter table "identity_user" add constraint "identity_user_email_unique" unique ("email");`);
    this.addSql(`alter table "identity_user" add constraint "identity_user_oidc_issuer_oidc_subject_unique" unique ("oidc_issuer", "oidc_subject");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "identity_api_key" cascade;`);

    this.addSql(`drop table if exists "identity_audit_event" cascade;`);

    this.addSql(`drop table if exists "identity_login_throttle" cascade;`);

    this.addSql(`drop table if exists "identity_refresh_token" cascade;`);

    this.addSql(`drop table if exists "identity_session" cascade;`);

    this.addSql(`drop table if exists "identity_setup_token" cascade;`);

    this.addSql(`drop table if exists "identity_signing_key" cascade;`);

    this.addSql(`drop table if exists "identity_user" cascade;`);
  }

}
