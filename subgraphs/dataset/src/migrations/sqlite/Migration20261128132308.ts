import { Migration } from '@mikro-orm/migrations';

export class Migration20261128132308 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`dataset_dataset\` (\`id\` text not null, \`name\` text not null, \`description\` text null, \`storage_path\` text not null, \`format\` text check (\`format\` in ('CSV', 'JSONL', 'JSON', 'PARQUET')) not null, \`tags\` json not null, \`columns\` json not null, \`size_bytes\` bigint not null, \`owner_id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`deleted_at\` datetime null, primary key (\`id\`));`);
    this.addSql(`create index \`dataset_dataset_deleted_at_created_at_index\` on \`dataset_dataset\` (\`deleted_at\`, \`created_at\`);`);
  }

}
