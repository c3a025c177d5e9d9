import { Migration } from '@mikro-orm/migrations';

export class Migration20261128144409 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`conversation_conversation\` (\`id\` varchar(36) not null, \`title\` varchar(200) not null, \`owner_id\` varchar(36) not null, \`model_id\` varchar(200) not null, \`system_prompt\` text null, \`prompt_template\` json null, \`params\` json not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`conversation_conversation\` add index \`conversation_conversation_owner_id_updated_at_index\`(\`owner_id\`, \`updated_at\`);`);

    this.addSql(`create table \`conversation_message\` (\`id\` varchar(36) not null, \`conversation_id\` varchar(36) not null, \`position\` int not null, \`role\` enum('USER', 'ASSISTANT', 'SYSTEM') not null, \`content\` mediumtext not null, \`status\` enum('STREAMING', 'COMPLETE', 'STOPPED', 'FAILED') not null, \`model_id\` varchar(200) null, \`usage\` json null, \`ttft_ms\` int null, \`latency_ms\` int null, \`error_code\` varchar(64) null, \`error_reason\` text null, \`last_seq\` int not null default 0, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`conversation_message\` add index \`conversation_message_conversation_id_index\`(\`conversation_id\`);`);
    this.addSql(`alter table \`conversation_message\` add index \`conversation_message_status_index\`(\`status\`);`);
    this.addSql(`alter table \`conversation_message\` add unique \`conversation_message_conversation_id_position_unique\`(\`conversation_id\`, \`position\`);`);

    this.addSql(`alter table \`conversation_message\` add constraint \`conversation_message_conversation_id_foreign\` foreign key (\`conversation_id\`) references \`conversation_conversation\` (\`id\`) on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table \`conversation_message\` drop foreign key \`conversation_message_conversation_id_foreign\`;`);

    this.addSql(`drop table if exists \`conversation_conversation\`;`);

    this.addSql(`drop table if exists \`conversation_message\`;`);
  }

}
