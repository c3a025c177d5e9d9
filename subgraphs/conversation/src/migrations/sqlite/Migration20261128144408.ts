import { Migration } from '@mikro-orm/migrations';

export class Migration20261128144408 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`conversation_conversation\` (\`id\` text not null, \`title\` text not null, \`owner_id\` text not null, \`model_id\` text not null, \`system_prompt\` text null, \`prompt_template\` json null, \`params\` json not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`conversation_conversation_owner_id_updated_at_index\` on \`conversation_conversation\` (\`owner_id\`, \`updated_at\`);`);

    this.addSql(`create table \`conversation_message\` (\`id\` text not null, \`conversation_id\` text not null, \`position\` integer not null, \`role\` text check (\`role\` in ('USER', 'ASSISTANT', 'SYSTEM')) not null, \`content\` text not null, \`status\` text check (\`status\` in ('STREAMING', 'COMPLETE', 'STOPPED', 'FAILED')) not null, \`model_id\` text null, \`usage\` json null, \`ttft_ms\` integer null, \`latency_ms\` integer null, \`error_code\` text null, \`error_reason\` text null, \`last_seq\` integer not null default 0, \`created_at\` datetime not null, \`updated_at\` datetime not null, constraint \`conversation_message_conversation_id_foreign\` foreign key(\`conversation_id\`) references \`conversation_conversation\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`conversation_message_conversation_id_index\` on \`conversation_message\` (\`conversation_id\`);`);
    this.addSql(`create index \`conversation_message_status_index\` on \`conversation_message\` (\`status\`);`);
    this.addSql(`create unique index \`conversation_message_conversation_id_position_unique\` on \`conversation_message\` (\`conversation_id\`, \`position\`);`);
  }

}
