import { Migration } from '@mikro-orm/migrations';

export class Migration20261128164355 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`identity_api_key\` (\`id\` text not null, \`name\` text not null, \`user_id\` text not null, \`prefix\` text not null, \`secret_hash\` text not null, \`scopes\` json not null, \`expires_at\` datetime null, \`created_at\` datetime not null, \`last_used_at\` datetime null, \`revoked_at\` datetime null, primary key (\`id\`));`);
    this.addSql(`create index \`identity_api_key_user_id_index\` on \`identity_api_key\` (\`user_id\`);`);
    this.addSql(`create unique index \`identity_api_key_prefix_unique\` on \`identity_api_key\` (\`prefix\`);`);

    this.addSql(`create table \`identity_audit_event\` (\`id\` text not null, \`at\` datetime not null, \`action\` text not null, \`category\` text not null, \`outcome\` text not null, \`actor_type\` text not null, \`actor_id\` text null, \`resource_type\` text null, \`resource_id\` text null, \`ip\` text null, \`request_id\` text null, \`details\` json null, primary key (\`id\`));`);
    this.addSql(`create index \`identity_audit_event_at_index\` on \`identity_audit_event\` (\`at\`);`);
    this.addSql(`create index \`identity_audit_event_category_at_index\` on \`identity_audit_event\` (\`category\`, \`at\`);`);
    this.addSql(`create index \`identity_audit_event_resource_type_resource_id_index\` on \`identity_audit_event\` (\`resource_type\`, \`resource_id\`);`);
    this.addSql(`create index \`identity_audit_event_action_at_index\` on \`identity_audit_event\` (\`action\`, \`at\`);`);
    this.addSql(`create index \`identity_audit_event_actor_id_at_index\` on \`identity_audit_event\` (\`actor_id\`, \`at\`);`);

    this.addSql(`create table \`identity_login_throttle\` (\`key\` text not null, \`failures\` integer not null default 0, \`last_failure_at\` datetime not null, \`locked_until\` datetime null, primary key (\`key\`));`);

    this.addSql(`create table \`identity_refresh_token\` (\`token_hash\` text not null, \`session_id\` text not null, \`created_at\` datetime not null, \`expires_at\` datetime not null, \`retired_at\` datetime null, primary key (\`token_hash\`));`);
    this.addSql(`create index \`identity_refresh_token_session_id_index\` on \`identity_refresh_token\` (\`session_id\`);`);

    this.addSql(`create table \`identity_session\` (\`id\` text not null, \`user_id\` text not null, \`method\` text not null, \`user_agent\` text null, \`ip\` text null, \`created_at\` datetime not null, \`last_used_at\` datetime not null, \`expires_at\` datetime not null, \`revoked_at\` datetime null, \`revoked_reason\` text null, primary key (\`id\`));`);
    this.addSql(`create index \`identity_session_user_id_index\` on \`identity_session\` (\`user_id\`);`);
    this.addSql(`create index \`identity_session_revoked_at_index\` on \`identity_session\` (\`revoked_at\`);`);

    this.addSql(`create table \`identity_setup_token\` (\`token_hash\` text not null, \`created_at\` datetime not null, \`used_at\` datetime null, primary key (\`token_hash\`));`);

    this.addSql(`create table \`identity_signing_key\` (\`kid\` text not null, \`private_jwk_encrypted\` text not null, \`public_jwk\` json not null, \`created_at\` datetime not null, \`retired_at\` datetime null, primary key (\`kid\`));`);

    this.addSql(`create table \`identity_user\` (\`id\` text not null, \`email\` text not null, \`name\` text not null, \`password_hash\` text null, \`oidc_issuer\` text null, \`oidc_subject\` text null, \`roles\` json not null, \`disabled\` integer not null default false, \`disabled_at\` datetime null, \`last_login_at\` datetime null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`identity_user_email_unique\` on \`identity_user\` (\`email\`);`);
    this.addSql(`create unique index \`identity_user_oidc_issuer_oidc_subject_unique\` on \`identity_user\` (\`oidc_issuer\`, \`oidc_subject\`);`);
  }

}
