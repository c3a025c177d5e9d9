import { Migration } from '@mikro-orm/migrations';

export class Migration20261128131435 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`identity_api_key\` (\`id\` varchar(36) not null, \`name\` varchar(200) not null, \`user_id\` varchar(36) not null, \`prefix\` varchar(20) not null, \`secret_hash\` varchar(64) not null, \`scopes\` json not null, \`created_at\` datetime not null, \`last_used_at\` datetime null, \`revoked_at\` datetime null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`identity_api_key\` add index \`identity_api_key_user_id_index\`(\`user_id\`);`);
    this.addSql(`alter table \`identity_api_key\` add unique \`identity_api_key_prefix_unique\`(\`prefix\`);`);

    this.addSql(`create table \`identity_setup_token\` (\`token_hash\` varchar(64) not null, \`created_at\` datetime not null, \`used_at\` datetime null, primary key (\`token_hash\`)) default character set utf8mb4 engine = InnoDB;`);

    this.addSql(`create table \`identity_signing_key\` (\`kid\` varchar(64) not null, \`private_jwk_encrypted\` text not null, \`public_jwk\` json not null, \`created_at\` datetime not null, primary key (\`kid\`)) default character set utf8mb4 engine = InnoDB;`);

    this.addSql(`create table \`identity_user\` (\`id\` varchar(36) not null, \`email\` varchar(320) not null, \`name\` varchar(200) not null, \`password_hash\` varchar(200) not null, \`roles\` json not null, \`disabled\` tinyint(1) not null default false, \`created_at\` datetime not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`identity_user\` add unique \`identity_user_email_unique\`(\`email\`);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists \`identity_api_key\`;`);

    this.addSql(`drop table if exists \`identity_setup_token\`;`);

    this.addSql(`drop table if exists \`identity_signing_key\`;`);

    this.addSql(`drop table if exists \`identity_user\`;`);
  }

}
