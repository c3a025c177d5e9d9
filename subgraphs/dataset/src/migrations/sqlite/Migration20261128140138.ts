import { Migration } from '@mikro-orm/migrations';

export class Migration20261128140138 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`dataset_ask_history\` (\`id\` text not null, \`owner_id\` text not null, \`question\` text not null, \`sql\` text not null, \`explanation\` text not null default '', \`tables_used\` json not null, \`dialect\` text not null, \`data_source_id\` text null, \`dataset_ids\` json not null, \`tables\` json null, \`model_id\` text not null, \`starred\` integer not null default false, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`dataset_ask_history_owner_id_created_at_index\` on \`dataset_ask_history\` (\`owner_id\`, \`created_at\`);`);

    this.addSql(`create table \`dataset_catalog_refresh_job\` (\`id\` text not null, \`data_source_id\` text not null, \`status\` text check (\`status\` in ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED')) not null default 'QUEUED', \`tables_done\` integer not null default 0, \`tables_total\` integer null, \`error\` text null, \`created_at\` datetime not null, \`started_at\` datetime null, \`finished_at\` datetime null, primary key (\`id\`));`);
    this.addSql(`create index \`dataset_catalog_refresh_job_data_source_id_created_at_index\` on \`dataset_catalog_refresh_job\` (\`data_source_id\`, \`created_at\`);`);

    this.addSql(`create table \`dataset_catalog_table\` (\`id\` text not null, \`data_source_id\` text not null, \`schema\` text null, \`name\` text not null, \`comment\` text null, \`row_count\` bigint null, \`columns\` json not null, \`search_text\` text not null, primary key (\`id\`));`);
    this.addSql(`create index \`dataset_catalog_table_data_source_id_index\` on \`dataset_catalog_table\` (\`data_source_id\`);`);

    this.addSql(`create table \`dataset_dataset\` (\`id\` text not null, \`name\` text not null, \`description\` text null, \`storage_path\` text not null, \`data_source_id\` text null, \`csv\` json null, \`current_version\` integer not null default 1, \`format\` text check (\`format\` in ('CSV', 'JSONL', 'JSON', 'PARQUET')) not null, \`tags\` json not null, \`columns\` json not null, \`size_bytes\` bigint not null, \`owner_id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`deleted_at\` datetime null, primary key (\`id\`));`);
    this.addSql(`create index \`dataset_dataset_deleted_at_created_at_index\` on \`dataset_dataset\` (\`deleted_at\`, \`created_at\`);`);

    this.addSql(`create table \`dataset_stats_job\` (\`id\` text not null, \`dataset_id\` text not null, \`version\` integer not null, \`status\` text check (\`status\` in ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED')) not null default 'QUEUED', \`progress\` double not null default 0, \`rows_done\` double not null default 0, \`error\` text null, \`stats\` json null, \`created_at\` datetime not null, \`finished_at\` datetime null, primary key (\`id\`));`);
    this.addSql(`create index \`dataset_stats_job_dataset_id_created_at_index\` on \`dataset_stats_job\` (\`dataset_id\`, \`created_at\`);`);

    this.addSql(`create table \`dataset_version\` (\`id\` text not null, \`dataset_id\` text not null, \`number\` integer not null, \`storage_path\` text not null, \`data_source_id\` text null, \`format\` text check (\`format\` in ('CSV', 'JSONL', 'JSON', 'PARQUET')) not null, \`csv\` json null, \`checksum\` text not null, \`rows\` bigint null, \`bytes\` bigint not null, \`columns\` json not null, \`created_by_id\` text not null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`dataset_version_dataset_id_index\` on \`dataset_version\` (\`dataset_id\`);`);
    this.addSql(`create unique index \`dataset_version_dataset_id_number_unique\` on \`dataset_version\` (\`dataset_id\`, \`number\`);`);

    this.addSql(`create table \`dataset_data_source\` (\`id\` text not null, \`name\` text not null, \`kind\` text check (\`kind\` in ('S3', 'POSTGRES', 'MYSQL', 'SQLITE')) not null, \`encrypted_connection\` text not null, \`connection\` json not null, \`owner_id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`catalog_refreshed_at\` datetime null, primary key (\`id\`));`);
    this.addSql(`create index \`dataset_data_source_owner_id_created_at_index\` on \`dataset_data_source\` (\`owner_id\`, \`created_at\`);`);
  }

}
