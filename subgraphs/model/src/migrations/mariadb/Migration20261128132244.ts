import { Migration } from '@mikro-orm/migrations';

export class Migration20261128132244 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`model_model\` (\`id\` varchar(36) not null, \`name\` varchar(200) not null, \`kind\` varchar(16) not null, \`provider\` varchar(32) not null, \`base_url\` varchar(2000) null, \`api_key_encrypted\` text null, \`upstream_model\` varchar(200) null, \`context_length\` int null, \`dimensions\` int null, \`default_params\` json null, \`description\` text null, \`owner_id\` varchar(36) null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`model_model\` add unique \`model_model_name_unique\`(\`name\`);`);
    this.addSql(`alter table \`model_model\` add index \`model_model_owner_id_index\`(\`owner_id\`);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists \`model_model\`;`);
  }

}
