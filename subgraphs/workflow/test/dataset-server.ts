import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { verifyInternalToken, type Caller } from "@ods/kit";

type Row = Record<string, unknown>;

/** A dataset the server holds: who may see it, and its rows per version (the highest number is the newest). */
export interface FakeDataset {
  ownerId: string;
  versions: Record<number, () => Iterable<Row>>;
  /** Ends the response abruptly after this many rows, as the real route does when reading fails part-way. */
  breakAfter?: number;
}

/** What the server saw of one request. */
export interface RowsRequest {
  datasetId: string;
  version: string | null;
  caller: Caller;
  /** Rows written before the response ended or the client went away. */
  written: number;
  /** True when the client went away before the last row was written. */
  closedEarly: boolean;
  finished: Promise<void>;
}

export interface FakeDatasetServer {
  url: string;
  datasets: Map<string, FakeDataset>;
  /** Every authenticated request, in arrival order. */
  requests: RowsRequest[];
  close(): Promise<void>;
}

/**
 * A stand-in for the dataset subgraph's `GET /api/datasets/<id>/rows[?version=n]` on 127.0.0.1, speaking its
 * contract: the internal token as `Authorization: Bearer` (401 without a valid one for a user), 200 with one JSON
 * row per line, and `{ error: { code, message } }` with 404 for a dataset the caller cannot see or a missing
 * version. Rows are written as the client reads them (waiting for `drain`), so a client that stops early leaves
 * the rest unwritten, as with the real route over a large file.
 */
export async function startFakeDatasetServer(secret: string): Promise<FakeDatasetServer> {
  const datasets = new Map<string, FakeDataset>();
  const requests: RowsRequest[] = [];
  const refuse = (res: ServerResponse, status: number, code: string, message: string) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { code, message } }));
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://localhost");
      const match = /^\/api\/datasets\/([^/]+)\/rows$/.exec(url.pathname);
      if (req.method !== "GET" || !match) {
        refuse(res, 404, "NOT_FOUND", "No such route");
        return;
      }
      let caller: Caller;
      try {
        const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
        caller = await verifyInternalToken(secret, bearer);
        if (!caller.userId) throw new Error("You must be signed in");
      } catch (err) {
        refuse(res, 401, "UNAUTHENTICATED", (err as Error).message);
        return;
      }
      const datasetId = decodeURIComponent(match[1]!);
      let done!: () => void;
      const request: RowsRequest = {
        datasetId,
        version: url.searchParams.get("version"),
        caller,
        written: 0,
        closedEarly: false,
        finished: new Promise<void>((resolve) => (done = resolve)),
      };
      requests.push(request);
      try {
        const dataset = datasets.get(datasetId);
        if (!dataset || dataset.ownerId !== caller.userId) {
          refuse(res, 404, "NOT_FOUND", `Dataset ${datasetId} was not found`);
          return;
        }
        const numbers = Object.keys(dataset.versions).map(Number);
        const version = request.version === null ? Math.max(...numbers) : Number(request.version);
        const rows = dataset.versions[version];
        if (!rows) {
          refuse(res, 404, "NOT_FOUND", `Version ${version} of dataset ${datasetId} was not found`);
          return;
        }
        let closed = false;
        res.on("close", () => (closed = true));
        res.writeHead(200, { "content-type": "application/x-ndjson; charset=utf-8" });
        for (const row of rows()) {
          if (closed) {
            request.closedEarly = true;
            return;
          }
          if (dataset.breakAfter !== undefined && request.written === dataset.breakAfter) {
            // Let the rows already written reach the client first, so the break comes part-way through the body.
            await new Promise((resolve) => setTimeout(resolve, 50));
            res.destroy();
            return;
          }
          request.written += 1;
          if (!res.write(`${JSON.stringify(row)}\n`)) await drainOrClose(res);
        }
        res.end();
      } finally {
        done();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    datasets,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Waits until `res` can take more data or has closed, leaving no listener behind. */
function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}
