import { S3ObjectStore } from "@ods/kit";
import { Client } from "minio";
import type { S3Connection } from "./connection.js";
import { CONNECT_TIMEOUT_MS, withDeadline } from "./driver.js";

/** The minio client for an S3 connection, with the same settings as kit's {@link S3ObjectStore}. */
function clientFor(connection: S3Connection): Client {
  const url = new URL(connection.endpoint);
  const useSSL = url.protocol === "https:";
  return new Client({
    endPoint: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: connection.accessKey,
    secretKey: connection.secretKey,
    region: connection.region,
  });
}

/**
 * Checks that the endpoint answers and accepts the keys: listing buckets needs a valid signature, so wrong keys
 * fail here (SignatureDoesNotMatch, InvalidAccessKeyId) rather than at the first dataset.
 */
export async function testS3(connection: S3Connection): Promise<void> {
  const client = clientFor(connection);
  await withDeadline(
    client.listBuckets(),
    CONNECT_TIMEOUT_MS * 2,
    () => undefined,
    undefined,
    () => new Error(`no answer within ${CONNECT_TIMEOUT_MS * 2} ms`),
  );
}

/** Kit's object store over one bucket of an S3 source. */
export function s3StoreFor(connection: S3Connection, bucket: string): S3ObjectStore {
  return new S3ObjectStore({ ...connection, bucket });
}
