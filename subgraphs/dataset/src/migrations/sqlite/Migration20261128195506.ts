import { Migration } from '@mikro-orm/migrations';

export class Migration20261128195506 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`dataset_resource_share\` (\`id\` text not null, \`resource_type\` text not null, \`resource_id\` text not null, \`principal_type\` text not null, \`principal_id\` text not null, \`principal_email\` text null, \`permission\` text not null, \`created_by_id\` text not null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`dataset_resource_share_principal_type_principal_id_resource_type_index\` on \`dataset_resource_share\` (\`principal_type\`, \`principal_id\`, \`resource_type\`);`);
    this.addSql(`create unique index \`dataset_resource_share_resource_type_resource_id_principal_type_principal_id_unique\` on \`dataset_resource_share\` (\`resource_type\`, \`resource_id\`, \`principal_type\`, \`principal_id\`);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists \`dataset_resource_share\`;`);
  }

}
