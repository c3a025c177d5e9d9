import { Migration } from '@mikro-orm/migrations';

export class Migration20261128131434 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`identity_api_key\` (\`id\` text not null, \`name\` text not null, \`user_id\` text not null, \`prefix\` text not null, \`secret_hash\` text not null, \`scopes\` json not null, \`created_at\` datetime not null, \`last_used_at\` datetime null, \`revoked_at\` datetime null, primary key (\`id\`));`);
    this.addSql(`create index \`identity_api_key_user_id_index\` on \`identity_api_key\` (\`user_id\`);`);
    this.addSql(`create unique index \`identity_api_key_prefix_unique\` on \`identity_api_key\` (\`prefix\`);`);

    this.addSql(`create table \`identity_setup_token\` (\`token_hash\` text not null, \`created_at\` datetime not null, \`used_at\` datetime null, primary key (\`token_hash\`));`);

    this.addSql(`create table \`identity_signing_key\` (\`kid\` text not null, \`private_jwk_encrypted\` text not null, \`public_jwk\` json not null, \`created_at\` datetime not null, primary key (\`kid\`));`);

    this.addSql(`create table \`identity_user\` (\`id\` text not null, \`email\` text not null, \`name\` text not null, \`password_hash\` text not null, \`roles\` json not null, \`disabled\` integer not null default false, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`identity_user_email_unique\` on \`identity_user\` (\`email\`);`);
  }

}
