import { Migration } from '@mikro-orm/migrations';

export class Migration20261128140138 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`dataset_ask_history\` (\`id\` varchar(36) not null, \`owner_id\` varchar(36) not null, \`question\` text not null, \`sql\` text not null, \`explanation\` text not null default (''), \`tables_used\` json not null, \`dialect\` varchar(16) not null, \`data_source_id\` varchar(36) null, \`dataset_ids\` json not null, \`tables\` json null, \`model_id\` varchar(200) not null, \`starred\` tinyint(1) not null default false, \`created_at\` datetime(3) not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`dataset_ask_history\` add index \`dataset_ask_history_owner_id_created_at_index\`(\`owner_id\`, \`created_at\`);`);

    this.addSql(`create table \`dataset_catalog_refresh_job\` (\`id\` varchar(36) not null, \`data_source_id\` varchar(36) not null, \`status\` enum('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED') not null default 'QUEUED', \`tables_done\` int not null default 0, \`tables_total\` int null, \`error\` text null, \`created_at\` datetime(3) not null, \`started_at\` datetime(3) null, \`finished_at\` datetime(3) null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`dataset_catalog_refresh_job\` add index \`dataset_catalog_refresh_job_data_source_id_created_at_index\`(\`data_source_id\`, \`created_at\`);`);

    this.addSql(`create table \`dataset_catalog_table\` (\`id\` varchar(36) not null, \`data_source_id\` varchar(36) not null, \`schema\` varchar(255) null, \`name\` varchar(255) not null, \`comment\` text null, \`row_count\` bigint null, \`columns\` json not null, \`search_text\` text not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`dataset_catalog_table\` add index \`dataset_catalog_table_data_source_id_index\`(\`data_source_id\`);`);

    this.addSql(`create table \`dataset_dataset\` (\`id\` varchar(36) not null, \`name\` varchar(200) not null, \`description\` text null, \`storage_path\` varchar(1024) not null, \`data_source_id\` varchar(36) null, \`csv\` json null, \`current_version\` int not null default 1, \`format\` enum('CSV', 'JSONL', 'JSON', 'PARQUET') not null, \`tags\` json not null, \`columns\` json not null, \`size_bytes\` bigint not null, \`owner_id\` varchar(36) not null, \`created_at\` datetime(3) not null, \`updated_at\` datetime(3) not null, \`deleted_at\` datetime(3) null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`dataset_dataset\` add index \`dataset_dataset_deleted_at_created_at_index\`(\`deleted_at\`, \`created_at\`);`);

    this.addSql(`create table \`dataset_stats_job\` (\`id\` varchar(36) not null, \`dataset_id\` varchar(36) not null, \`version\` int not null, \`status\` enum('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED') not null default 'QUEUED', \`progress\` double not null default 0, \`rows_done\` double not null default 0, \`error\` text null, \`stats\` json null, \`created_at\` datetime(3) not null, \`finished_at\` datetime(3) null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`dataset_stats_job\` add index \`dataset_stats_job_dataset_id_created_at_index\`(\`dataset_id\`, \`created_at\`);`);

    this.addSql(`create table \`dataset_version\` (\`id\` varchar(36) not null, \`dataset_id\` varchar(36) not null, \`number\` int not null, \`storage_path\` varchar(1024) not null, \`data_source_id\` varchar(36) null, \`format\` enum('CSV', 'JSONL', 'JSON', 'PARQUET') not null, \`csv\` json null, \`checksum\` varchar(64) not null, \`rows\` bigint null, \`bytes\` bigint not null, \`columns\` json not null, \`created_by_id\` varchar(36) not null, \`created_at\` datetime(3) not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`dataset_version\` add index \`dataset_version_dataset_id_index\`(\`dataset_id\`);`);
    this.addSql(`alter table \`dataset_version\` add unique \`dataset_version_dataset_id_number_unique\`(\`dataset_id\`, \`number\`);`);

    this.addSql(`create table \`dataset_data_source\` (\`id\` varchar(36) not null, \`name\` varchar(200) not null, \`kind\` enum('S3', 'POSTGRES', 'MYSQL', 'SQLITE') not null, \`encrypted_connection\` text not null, \`connection\` json not null, \`owner_id\` varchar(36) not null, \`created_at\` datetime(3) not null, \`updated_at\` datetime(3) not null, \`catalog_refreshed_at\` datetime(3) null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`dataset_data_source\` add index \`dataset_data_source_owner_id_created_at_index\`(\`owner_id\`, \`created_at\`);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists \`dataset_ask_history\`;`);

    this.addSql(`drop table if exists \`dataset_catalog_refresh_job\`;`);

    this.addSql(`drop table if exists \`dataset_catalog_table\`;`);

    this.addSql(`drop table if exists \`dataset_dataset\`;`);

    this.addSql(`drop table if exists \`dataset_stats_job\`;`);

    this.addSql(`drop table if exists \`dataset_version\`;`);

    this.addSql(`drop table if exists \`dataset_data_source\`;`);
  }

}
