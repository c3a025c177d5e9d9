import { Migration } from '@mikro-orm/migrations';

export class Migration20261128134358 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`workflow_workflow\` (\`id\` varchar(36) not null, \`name\` varchar(200) not null, \`description\` text not null default (''), \`owner_id\` varchar(36) not null, \`nodes\` json not null, \`edges\` json not null, \`version\` int not null default 1, \`last_execution_id\` varchar(36) null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`workflow_workflow\` add index \`workflow_workflow_owner_id_index\`(\`owner_id\`);`);

    this.addSql(`create table \`workflow_execution\` (\`id\` varchar(36) not null, \`workflow_id\` varchar(36) not null, \`workflow_version\` int not null, \`status\` enum('PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED') not null default 'PENDING', \`inputs\` json not null, \`outputs\` json null, \`error\` text null, \`last_seq\` int not null default 0, \`started_at\` datetime null, \`finished_at\` datetime null, \`created_at\` datetime not null, \`heartbeat_at\` datetime not null, \`triggered_by\` varchar(36) not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`workflow_execution\` add index \`workflow_execution_workflow_id_index\`(\`workflow_id\`);`);

    this.addSql(`create table \`workflow_node_run\` (\`id\` varchar(36) not null, \`execution_id\` varchar(36) not null, \`position\` int not null, \`node_id\` varchar(64) not null, \`node_type\` varchar(64) not null, \`status\` enum('RUNNING', 'SUCCEEDED', 'FAILED', 'SKIPPED') not null default 'RUNNING', \`inputs\` json not null, \`outputs\` json null, \`error\` text null, \`started_at\` datetime null, \`finished_at\` datetime null, \`duration_ms\` int null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`workflow_node_run\` add index \`workflow_node_run_execution_id_index\`(\`execution_id\`);`);

    this.addSql(`alter table \`workflow_execution\` add constraint \`workflow_execution_workflow_id_foreign\` foreign key (\`workflow_id\`) references \`workflow_workflow\` (\`id\`) on update cascade on delete cascade;`);

    this.addSql(`alter table \`workflow_node_run\` add constraint \`workflow_node_run_execution_id_foreign\` foreign key (\`execution_id\`) references \`workflow_execution\` (\`id\`) on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table \`workflow_execution\` drop foreign key \`workflow_execution_workflow_id_foreign\`;`);

    this.addSql(`alter table \`workflow_node_run\` drop foreign key \`workflow_node_run_execution_id_foreign\`;`);

    this.addSql(`drop table if exists \`workflow_workflow\`;`);

    this.addSql(`drop table if exists \`workflow_execution\`;`);

    this.addSql(`drop table if exists \`workflow_node_run\`;`);
  }

}
