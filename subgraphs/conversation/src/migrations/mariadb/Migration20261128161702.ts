import { Migration } from '@mikro-orm/migrations';

export class Migration20261128161702 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`conversation_conversation\` (\`id\` varchar(36) not null, \`title\` varchar(200) not null, \`owner_id\` varchar(36) not null, \`model_id\` varchar(200) not null, \`system_prompt\` text null, \`prompt_template\` json null, \`params\` json not null, \`pinned\` tinyint(1) not null default false, \`knowledge_base_ids\` json not null, \`retrieval\` json null, \`revision\` int not null default 0, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`conversation_conversation\` add index \`conversation_conversation_owner_id_pinned_updated_at_index\`(\`owner_id\`, \`pinned\`, \`updated_at\`);`);

    this.addSql(`create table \`conversation_knowledge_base\` (\`id\` varchar(36) not null, \`name\` varchar(200) not null, \`description\` text null, \`owner_id\` varchar(36) not null, \`embedding_model_id\` varchar(200) not null, \`dimensions\` int null, \`chunking\` json not null, \`retrieval\` json not null, \`settings_version\` int not null default 1, \`content_version\` int not null default 0, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`conversation_knowledge_base\` add index \`conversation_knowledge_base_owner_id_updated_at_index\`(\`owner_id\`, \`updated_at\`);`);

    this.addSql(`create table \`conversation_knowledge_document\` (\`id\` varchar(36) not null, \`knowledge_base_id\` varchar(36) not null, \`title\` varchar(300) not null, \`source\` enum('UPLOAD', 'TEXT', 'DATASET') not null, \`object_key\` varchar(1024) null, \`mime_type\` varchar(200) null, \`bytes\` bigint null, \`format\` varchar(16) null, \`dataset_id\` varchar(36) null, \`row_template\` text null, \`metadata\` json not null, \`status\` enum('QUEUED', 'PARSING', 'EMBEDDING', 'READY', 'FAILED') not null default 'QUEUED', \`progress\` double not null default 0, \`chunk_count\` int not null default 0, \`error\` text null, \`indexed_version\` int not null default 0, \`attempts\` int not null default 0, \`lease_until\` datetime null, \`lease_owner\` varchar(64) null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`conversation_knowledge_document\` add index \`conversation_knowledge_document_knowledge_base_id_index\`(\`knowledge_base_id\`);`);
    this.addSql(`alter table \`conversation_knowledge_document\` add index \`conversation_knowledge_document_status_lease_until_index\`(\`status\`, \`lease_until\`);`);
    this.addSql(`alter table \`conversation_knowledge_document\` add index \`conversation_knowledge_document_knowledge_base_id_c_489f5_index\`(\`knowledge_base_id\`, \`created_at\`);`);

    this.addSql(`create table \`conversation_knowledge_chunk\` (\`id\` varchar(40) not null, \`document_id\` varchar(36) not null, \`knowledge_base_id\` varchar(36) not null, \`position\` int not null, \`content\` mediumtext not null, \`start\` int not null, \`end\` int not null, \`heading\` varchar(500) null, \`parent_content\` mediumtext null, \`enabled\` tinyint(1) not null default true, \`edited\` tinyint(1) not null default false, \`embedded\` tinyint(1) not null default false, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`conversation_knowledge_chunk\` add index \`conversation_knowledge_chunk_document_id_index\`(\`document_id\`);`);
    this.addSql(`alter table \`conversation_knowledge_chunk\` add index \`conversation_knowledge_chunk_document_id_embedded_index\`(\`document_id\`, \`embedded\`);`);
    this.addSql(`alter table \`conversation_knowledge_chunk\` add index \`conversation_knowledge_chunk_knowledge_base_id_enabled_index\`(\`knowledge_base_id\`, \`enabled\`);`);

    this.addSql(`create table \`conversation_message\` (\`id\` varchar(36) not null, \`conversation_id\` varchar(36) not null, \`position\` int not null, \`parent_id\` varchar(36) null, \`selected\` tinyint(1) not null default true, \`selected_revision\` int not null default 0, \`alternative_index\` int not null default 1, \`role\` enum('USER', 'ASSISTANT', 'SYSTEM') not null, \`content\` mediumtext not null, \`status\` enum('STREAMING', 'COMPLETE', 'STOPPED', 'FAILED') not null, \`model_id\` varchar(200) null, \`usage\` json null, \`ttft_ms\` int null, \`latency_ms\` int null, \`error_code\` varchar(64) null, \`error_reason\` text null, \`citations\` json not null, \`feedback\` json null, \`last_seq\` int not null default 0, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`conversation_message\` add index \`conversation_message_conversation_id_index\`(\`conversation_id\`);`);
    this.addSql(`alter table \`conversation_message\` add index \`conversation_message_status_index\`(\`status\`);`);
    this.addSql(`alter table \`conversation_message\` add index \`conversation_message_conversation_id_position_index\`(\`conversation_id\`, \`position\`);`);

    this.addSql(`alter table \`conversation_knowledge_document\` add constraint \`conversation_knowledge_document_knowledge_base_id_foreign\` foreign key (\`knowledge_base_id\`) references \`conversation_knowledge_base\` (\`id\`) on update cascade on delete cascade;`);

    this.addSql(`alter table \`conversation_knowledge_chunk\` add constraint \`conversation_knowledge_chunk_document_id_foreign\` foreign key (\`document_id\`) references \`conversation_knowledge_document\` (\`id\`) on update cascade on delete cascade;`);

    this.addSql(`alter table \`conversation_message\` add constraint \`conversation_message_conversation_id_foreign\` foreign key (\`conversation_id\`) references \`conversation_conversation\` (\`id\`) on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table \`conversation_message\` drop foreign key \`conversation_message_conversation_id_foreign\`;`);

    this.addSql(`alter table \`conversation_knowledge_document\` drop foreign key \`conversation_knowledge_document_knowledge_base_id_foreign\`;`);

    this.addSql(`alter table \`conversation_knowledge_chunk\` drop foreign key \`conversation_knowledge_chunk_document_id_foreign\`;`);

    this.addSql(`drop table if exists \`conversation_conversation\`;`);

    this.addSql(`drop table if exists \`conversation_knowledge_base\`;`);

    this.addSql(`drop table if exists \`conversation_knowledge_document\`;`);

    this.addSql(`drop table if exists \`conversation_knowledge_chunk\`;`);

    this.addSql(`drop table if exists \`conversation_message\`;`);
  }

}
