import { Migration } from '@mikro-orm/migrations';

export class Migration20261128132244 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`model_model\` (\`id\` text not null, \`name\` text not null, \`kind\` text not null, \`provider\` text not null, \`base_url\` text null, \`api_key_encrypted\` text null, \`upstream_model\` text null, \`context_length\` integer null, \`dimensions\` integer null, \`default_params\` json null, \`description\` text null, \`owner_id\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`model_model_name_unique\` on \`model_model\` (\`name\`);`);
    this.addSql(`create index \`model_model_owner_id_index\` on \`model_model\` (\`owner_id\`);`);
  }

}
