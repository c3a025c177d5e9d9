// A real S3-compatible server (s3rver) on loopback for the end-to-end tests, with the one shim minio-js needs.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";

export interface S3Server {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  stop(): Promise<void>;
}

export async function startS3(buckets: string[]): Promise<S3Server> {
  const directory = await mkdtemp(join(tmpdir(), "ods-s3-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  });
  // s3rver lacks ListMultipartUploads, which minio-js calls before a multipart upload (STACK.md pitfall 16).
  server.middleware.unshift(
    async (
      ctx: { method: string; query: Record<string, unknown>; path: string; type: string; body: string },
      next: () => Promise<void>,
    ) => {
      if (ctx.method === "GET" && "uploads" in ctx.query) {
        ctx.type = "application/xml";
        ctx.body = `<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult><Bucket>${ctx.path.slice(1)}</Bucket></ListMultipartUploadsResult>`;
        return;
      }
      await next();
    },
  );
  const { port } = (await server.run()) as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    accessKey: "S3RVER",
    secretKey: "S3RVER",
    async stop() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
