import { Migration } from '@mikro-orm/migrations';

export class Migration20261128144307 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`model_model\` (\`id\` text not null, \`name\` text not null, \`kind\` text not null, \`provider\` text not null, \`base_url\` text null, \`api_key_encrypted\` text null, \`upstream_model\` text null, \`context_length\` integer null, \`dimensions\` integer null, \`default_params\` json null, \`description\` text null, \`tags\` json not null, \`owner_id\` text null, \`price_per1k_prompt\` double null, \`price_per1k_completion\` double null, \`limit_requests_per_minute\` integer null, \`limit_tokens_per_day\` integer null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`model_model_name_unique\` on \`model_model\` (\`name\`);`);
    this.addSql(`create index \`model_model_owner_id_index\` on \`model_model\` (\`owner_id\`);`);

    this.addSql(`create table \`model_deployment\` (\`id\` text not null, \`model_id\` text not null, \`name\` text not null, \`image\` text not null, \`model\` text not null, \`served_model_name\` text not null, \`gpus\` integer not null, \`replicas\` integer not null, \`vllm_args\` json not null, \`namespace\` text not null, \`port\` integer not null, \`endpoint_url\` text null, \`status\` text not null default 'PENDING', \`status_message\` text null, \`owner_id\` text null, \`checked_at\` datetime null, \`ready_at\` datetime null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`model_deployment_model_id_index\` on \`model_deployment\` (\`model_id\`);`);
    this.addSql(`create index \`model_deployment_owner_id_index\` on \`model_deployment\` (\`owner_id\`);`);
    this.addSql(`create unique index \`model_deployment_namespace_name_unique\` on \`model_deployment\` (\`namespace\`, \`name\`);`);

    this.addSql(`create table \`model_endpoint\` (\`id\` text not null, \`model_id\` text not null, \`position\` integer not null default 0, \`base_url\` text not null, \`api_key_encrypted\` text null, \`weight\` integer not null default 1, \`status\` text not null default 'READY', \`latency_ms\` integer null, \`checked_at\` datetime null, \`error\` text null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`model_endpoint_model_id_position_index\` on \`model_endpoint\` (\`model_id\`, \`position\`);`);

    this.addSql(`create table \`model_prompt_template\` (\`id\` text not null, \`name\` text not null, \`description\` text null, \`version\` integer not null default 1, \`template\` text not null, \`variables\` json not null, \`owner_id\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`model_prompt_template_name_unique\` on \`model_prompt_template\` (\`name\`);`);
    this.addSql(`create index \`model_prompt_template_owner_id_index\` on \`model_prompt_template\` (\`owner_id\`);`);

    this.addSql(`create table \`model_prompt_template_version\` (\`id\` text not null, \`template_id\` text not null, \`name\` text not null, \`version\` integer not null, \`template\` text not null, \`variables\` json not null, \`description\` text null, \`created_by_id\` text null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`model_prompt_template_version_template_id_index\` on \`model_prompt_template_version\` (\`template_id\`);`);
    this.addSql(`create unique index \`model_prompt_template_version_template_id_version_unique\` on \`model_prompt_template_version\` (\`template_id\`, \`version\`);`);

    this.addSql(`create table \`model_usage_record\` (\`id\` text not null, \`user_id\` text null, \`api_key_id\` text null, \`service\` text null, \`model_id\` text not null, \`model_name\` text not null, \`endpoint\` text not null, \`operation\` text not null, \`prompt_tokens\` integer not null, \`completion_tokens\` integer not null, \`usage_reported\` integer not null, \`ttft_ms\` integer null, \`latency_ms\` integer not null, \`status\` text not null, \`error_code\` text null, \`cost\` double not null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`model_usage_record_created_at_index\` on \`model_usage_record\` (\`created_at\`);`);
    this.addSql(`create index \`model_usage_record_user_id_created_at_index\` on \`model_usage_record\` (\`user_id\`, \`created_at\`);`);
    this.addSql(`create index \`model_usage_record_model_id_created_at_index\` on \`model_usage_record\` (\`model_id\`, \`created_at\`);`);
  }

}
