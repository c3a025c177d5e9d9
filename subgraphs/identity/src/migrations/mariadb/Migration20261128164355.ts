import { Migration } from '@mikro-orm/migrations';

export class Migration20261128164355 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`identity_api_key\` (\`id\` varchar(36) not null, \`name\` varchar(200) not null, \`user_id\` varchar(36) not null, \`prefix\` varchar(20) not null, \`secret_hash\` varchar(64) not null, \`scopes\` json not null, \`expires_at\` datetime null, \`created_at\` datetime not null, \`last_used_at\` datetime null, \`revoked_at\` datetime null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`identity_api_key\` add index \`identity_api_key_user_id_index\`(\`user_id\`);`);
    this.addSql(`alter table \`identity_api_key\` add unique \`identity_api_key_prefix_unique\`(\`prefix\`);`);

    this.addSql(`create table \`identity_audit_event\` (\`id\` varchar(36) not null, \`at\` datetime not null, \`action\` varchar(64) not null, \`category\` varchar(16) not null, \`outcome\` varchar(16) not null, \`actor_type\` varchar(16) not null, \`actor_id\` varchar(64) null, \`resource_type\` varchar(64) null, \`resource_id\` varchar(200) null, \`ip\` varchar(64) null, \`request_id\` varchar(128) null, \`details\` json null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`identity_audit_event\` add index \`identity_audit_event_at_index\`(\`at\`);`);
    this.addSql(`alter table \`identity_audit_event\` add index \`identity_audit_event_category_at_index\`(\`category\`, \`at\`);`);
    this.addSql(`alter table \`identity_audit_event\` add index \`identity_audit_event_resource_type_resource_id_index\`(\`resource_type\`, \`resource_id\`);`);
    this.addSql(`alter table \`identity_audit_event\` add index \`identity_audit_event_action_at_index\`(\`action\`, \`at\`);`);
    this.addSql(`alter table \`identity_audit_event\` add index \`identity_audit_event_actor_id_at_index\`(\`actor_id\`, \`at\`);`);

    this.addSql(`create table \`identity_login_throttle\` (\`key\` varchar(400) not null, \`failures\` int not null default 0, \`last_failure_at\` datetime not null, \`locked_until\` datetime null, primary key (\`key\`)) default character set utf8mb4 engine = InnoDB;`);

    this.addSql(`create table \`identity_refresh_token\` (\`token_hash\` varchar(64) not null, \`session_id\` varchar(36) not null, \`created_at\` datetime not null, \`expires_at\` datetime not null, \`retired_at\` datetime null, primary key (\`token_hash\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`identity_refresh_token\` add index \`identity_refresh_token_session_id_index\`(\`session_id\`);`);

    this.addSql(`create table \`identity_session\` (\`id\` varchar(36) not null, \`user_id\` varchar(36) not null, \`method\` varchar(20) not null, \`user_agent\` varchar(300) null, \`ip\` varchar(64) null, \`created_at\` datetime not null, \`last_used_at\` datetime not null, \`expires_at\` datetime not null, \`revoked_at\` datetime null, \`revoked_reason\` varchar(40) null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`identity_session\` add index \`identity_session_user_id_index\`(\`user_id\`);`);
    this.addSql(`alter table \`identity_session\` add index \`identity_session_revoked_at_index\`(\`revoked_at\`);`);

    this.addSql(`create table \`identity_setup_token\` (\`token_hash\` varchar(64) not null, \`created_at\` datetime not null, \`used_at\` datetime null, primary key (\`token_hash\`)) default character set utf8mb4 engine = InnoDB;`);

    this.addSql(`create table \`identity_signing_key\` (\`kid\` varchar(64) not null, \`private_jwk_encrypted\` text not null, \`public_jwk\` json not null, \`created_at\` datetime not null, \`retired_at\` datetime null, primary key (\`kid\`)) default character set utf8mb4 engine = InnoDB;`);

    this.addSql(`create table \`identity_user\` (\`id\` varchar(36) not null, \`email\` varchar(320) not null, \`name\` varchar(200) not null, \`password_hash\` varchar(200) null, \`oidc_issuer\` varchar(500) null, \`oidc_subject\` varchar(255) null, \`roles\` json not null, \`disabled\` tinyint(1) not null default false, \`disabled_at\` datetime null, \`last_login_at\` datetime null, \`created_at\` datetime not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`identity_user\` add unique \`identity_user_email_unique\`(\`email\`);`);
    this.addSql(`alter table \`identity_user\` add unique \`identity_user_oidc_issuer_oidc_subject_unique\`(\`oidc_issuer\`, \`oidc_subject\`);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists \`identity_api_key\`;`);

    this.addSql(`drop table if exists \`identity_audit_event\`;`);

    this.addSql(`drop table if exists \`identity_login_throttle\`;`);

    this.addSql(`drop table if exists \`identity_refresh_token\`;`);

    this.addSql(`drop table if exists \`identity_session\`;`);

    this.addSql(`drop table if exists \`identity_setup_token\`;`);

    this.addSql(`drop table if exists \`identity_signing_key\`;`);

    this.addSql(`drop table if exists \`identity_user\`;`);
  }

}
