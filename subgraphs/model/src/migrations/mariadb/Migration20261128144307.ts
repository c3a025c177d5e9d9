import { Migration } from '@mikro-orm/migrations';

export class Migration20261128144307 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`model_model\` (\`id\` varchar(36) not null, \`name\` varchar(200) not null, \`kind\` varchar(16) not null, \`provider\` varchar(32) not null, \`base_url\` varchar(2000) null, \`api_key_encrypted\` text null, \`upstream_model\` varchar(200) null, \`context_length\` int null, \`dimensions\` int null, \`default_params\` json null, \`description\` text null, \`tags\` json not null, \`owner_id\` varchar(36) null, \`price_per1k_prompt\` double null, \`price_per1k_completion\` double null, \`limit_requests_per_minute\` int null, \`limit_tokens_per_day\` int null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`model_model\` add unique \`model_model_name_unique\`(\`name\`);`);
    this.addSql(`alter table \`model_model\` add index \`model_model_owner_id_index\`(\`owner_id\`);`);

    this.addSql(`create table \`model_deployment\` (\`id\` varchar(36) not null, \`model_id\` varchar(36) not null, \`name\` varchar(63) not null, \`image\` varchar(500) not null, \`model\` varchar(500) not null, \`served_model_name\` varchar(200) not null, \`gpus\` int not null, \`replicas\` int not null, \`vllm_args\` json not null, \`namespace\` varchar(63) not null, \`port\` int not null, \`endpoint_url\` varchar(2000) null, \`status\` varchar(16) not null default 'PENDING', \`status_message\` text null, \`owner_id\` varchar(36) null, \`checked_at\` datetime null, \`ready_at\` datetime null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`model_deployment\` add index \`model_deployment_model_id_index\`(\`model_id\`);`);
    this.addSql(`alter table \`model_deployment\` add index \`model_deployment_owner_id_index\`(\`owner_id\`);`);
    this.addSql(`alter table \`model_deployment\` add unique \`model_deployment_namespace_name_unique\`(\`namespace\`, \`name\`);`);

    this.addSql(`create table \`model_endpoint\` (\`id\` varchar(36) not null, \`model_id\` varchar(36) not null, \`position\` int not null default 0, \`base_url\` varchar(2000) not null, \`api_key_encrypted\` text null, \`weight\` int not null default 1, \`status\` varchar(16) not null default 'READY', \`latency_ms\` int null, \`checked_at\` datetime null, \`error\` text null, \`created_at\` datetime not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`model_endpoint\` add index \`model_endpoint_model_id_position_index\`(\`model_id\`, \`position\`);`);

    this.addSql(`create table \`model_prompt_template\` (\`id\` varchar(36) not null, \`name\` varchar(200) not null, \`description\` text null, \`version\` int not null default 1, \`template\` text not null, \`variables\` json not null, \`owner_id\` varchar(36) null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`model_prompt_template\` add unique \`model_prompt_template_name_unique\`(\`name\`);`);
    this.addSql(`alter table \`model_prompt_template\` add index \`model_prompt_template_owner_id_index\`(\`owner_id\`);`);

    this.addSql(`create table \`model_prompt_template_version\` (\`id\` varchar(36) not null, \`template_id\` varchar(36) not null, \`name\` varchar(200) not null, \`version\` int not null, \`template\` text not null, \`variables\` json not null, \`description\` text null, \`created_by_id\` varchar(36) null, \`created_at\` datetime not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`model_prompt_template_version\` add index \`model_prompt_template_version_template_id_index\`(\`template_id\`);`);
    this.addSql(`alter table \`model_prompt_template_version\` add unique \`model_prompt_template_version_template_id_version_unique\`(\`template_id\`, \`version\`);`);

    this.addSql(`create table \`model_usage_record\` (\`id\` varchar(36) not null, \`user_id\` varchar(36) null, \`api_key_id\` varchar(36) null, \`service\` varchar(64) null, \`model_id\` varchar(36) not null, \`model_name\` varchar(200) not null, \`endpoint\` varchar(2000) not null, \`operation\` varchar(32) not null, \`prompt_tokens\` int not null, \`completion_tokens\` int not null, \`usage_reported\` tinyint(1) not null, \`ttft_ms\` int null, \`latency_ms\` int not null, \`status\` varchar(16) not null, \`error_code\` varchar(64) null, \`cost\` double not null, \`created_at\` datetime not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`model_usage_record\` add index \`model_usage_record_created_at_index\`(\`created_at\`);`);
    this.addSql(`alter table \`model_usage_record\` add index \`model_usage_record_user_id_created_at_index\`(\`user_id\`, \`created_at\`);`);
    this.addSql(`alter table \`model_usage_record\` add index \`model_usage_record_model_id_created_at_index\`(\`model_id\`, \`created_at\`);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists \`model_model\`;`);

    this.addSql(`drop table if exists \`model_deployment\`;`);

    this.addSql(`drop table if exists \`model_endpoint\`;`);

    this.addSql(`drop table if exists \`model_prompt_template\`;`);

    this.addSql(`drop table if exists \`model_prompt_template_version\`;`);

    this.addSql(`drop table if exists \`model_usage_record\`;`);
  }

}
