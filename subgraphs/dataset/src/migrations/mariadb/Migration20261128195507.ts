import { Migration } from '@mikro-orm/migrations';

export class Migration20261128195507 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`dataset_resource_share\` (\`id\` varchar(36) not null, \`resource_type\` varchar(40) not null, \`resource_id\` varchar(36) not null, \`principal_type\` varchar(8) not null, \`principal_id\` varchar(36) not null, \`principal_email\` varchar(320) null, \`permission\` varchar(8) not null, \`created_by_id\` varchar(36) not null, \`created_at\` datetime not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`dataset_resource_share\` add index \`dataset_resource_share_principal_type_principal_id__bdbe3_index\`(\`principal_type\`, \`principal_id\`, \`resource_type\`);`);
    this.addSql(`alter table \`dataset_resource_share\` add unique \`dataset_resource_share_resource_type_resource_id_p_f5194_unique\`(\`resource_type\`, \`resource_id\`, \`principal_type\`, \`principal_id\`);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists \`dataset_resource_share\`;`);
  }

}
