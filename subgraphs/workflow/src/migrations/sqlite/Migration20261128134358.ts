import { Migration } from '@mikro-orm/migrations';

export class Migration20261128134358 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`workflow_workflow\` (\`id\` text not null, \`name\` text not null, \`description\` text not null default '', \`owner_id\` text not null, \`nodes\` json not null, \`edges\` json not null, \`version\` integer not null default 1, \`last_execution_id\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`workflow_workflow_owner_id_index\` on \`workflow_workflow\` (\`owner_id\`);`);

    this.addSql(`create table \`workflow_execution\` (\`id\` text not null, \`workflow_id\` text not null, \`workflow_version\` integer not null, \`status\` text check (\`status\` in ('PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')) not null default 'PENDING', \`inputs\` json not null, \`outputs\` json null, \`error\` text null, \`last_seq\` integer not null default 0, \`started_at\` datetime null, \`finished_at\` datetime null, \`created_at\` datetime not null, \`heartbeat_at\` datetime not null, \`triggered_by\` text not null, constraint \`workflow_execution_workflow_id_foreign\` foreign key(\`workflow_id\`) references \`workflow_workflow\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`workflow_execution_workflow_id_index\` on \`workflow_execution\` (\`workflow_id\`);`);

    this.addSql(`create table \`workflow_node_run\` (\`id\` text not null, \`execution_id\` text not null, \`position\` integer not null, \`node_id\` text not null, \`node_type\` text not null, \`status\` text check (\`status\` in ('RUNNING', 'SUCCEEDED', 'FAILED', 'SKIPPED')) not null default 'RUNNING', \`inputs\` json not null, \`outputs\` json null, \`error\` text null, \`started_at\` datetime null, \`finished_at\` datetime null, \`duration_ms\` integer null, constraint \`workflow_node_run_execution_id_foreign\` foreign key(\`execution_id\`) references \`workflow_execution\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`workflow_node_run_execution_id_index\` on \`workflow_node_run\` (\`execution_id\`);`);
  }

}
