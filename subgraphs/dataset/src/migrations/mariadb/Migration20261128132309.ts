import { Migration } from '@mikro-orm/migrations';

export class Migration20261128132309 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`dataset_dataset\` (\`id\` varchar(36) not null, \`name\` varchar(200) not null, \`description\` text null, \`storage_path\` varchar(1024) not null, \`format\` enum('CSV', 'JSONL', 'JSON', 'PARQUET') not null, \`tags\` json not null, \`columns\` json not null, \`size_bytes\` bigint not null, \`owner_id\` varchar(36) not null, \`created_at\` datetime(3) not null, \`updated_at\` datetime(3) not null, \`deleted_at\` datetime(3) null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`dataset_dataset\` add index \`dataset_dataset_deleted_at_created_at_index\`(\`deleted_at\`, \`created_at\`);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists \`dataset_dataset\`;`);
  }

}
