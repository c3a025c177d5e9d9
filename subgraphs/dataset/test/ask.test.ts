import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alice, bob, registerDataset, startHarness, type Harness } from "./harness.js";

/** A tiny OpenAI-compatible chat server on loopback whose answer each test sets; model "missing" is a 404. */
let answer = "";
const requests: { model: string; messages: { role: string; content: string }[] }[] = [];
let server: Server;
let h: Harness;
let sales: { id: string; tableName: string };

const ASK = /* GraphQL */ `
  mutation Ask($input: AskDataInput!) {
    askData(input: $input) {
      sql
      explanation
      tablesUsed
      dialect
      historyId
      result {
        rows
        rowCount
        truncated
      }
    }
  }
`;

interface AskResult {
  askData: {
    sql: string;
    explanation: string;
    tablesUsed: string[];
    dialect: string;
    historyId: string;
    result: { rows: Record<string, unknown>[]; rowCount: number; truncated: boolean } | null;
  };
}

const ask = (input: Record<string, unknown>, caller = alice) =>
  h.gql<AskResult>(caller, ASK, { input: { datasetIds: [sales.id], modelId: "fixed", ...input } });

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const request = JSON.parse(body || "{}");
      requests.push(request);
      res.setHeader("content-type", "application/json");
      if (request.model === "missing") {
        res.statusCode = 404;
        res.end(
          JSON.stringify({ error: { message: "The model 'missing' does not exist", type: "invalid_request_error" } }),
        );
        return;
      }
      res.end(
        JSON.stringify({
          id: "chatcmpl-1",
          object: "chat.completion",
          created: 0,
          model: request.model,
          choices: [{ index: 0, message: { role: "assistant", content: answer }, finish_reason: "stop" }],
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  h = await startHarness({ ODS_MODEL_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  await h.putObject("uploads/ask/sales.csv", ["city,amount", "Beijing,10.5", "Shanghai,7", "Beijing,3"].join("\n"));
  sales = await registerDataset(h, "sales by city", "uploads/ask/sales.csv");
});

afterAll(async () => {
  await h?.close();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

describe("askData", () => {
  it("answers a Chinese question with the model's SQL, runs it, and shows the model the schema and samples", async () => {
    answer =
      "这个查询按城市汇总销售额。\n```sql\n" +
      `SELECT city, SUM(amount) AS total FROM ${sales.tableName} GROUP BY city ORDER BY total DESC;\n` +
      "```";
    const res = await ask({ question: "每个城市的销售总额是多少？", execute: true });
    expect(res.errors).toBeUndefined();
    expect(res.data!.askData).toMatchObject({
      sql: `SELECT city, SUM(amount) AS total FROM ${sales.tableName} GROUP BY city ORDER BY total DESC`,
      explanation: "这个查询按城市汇总销售额。",
      tablesUsed: [sales.tableName],
      dialect: "duckdb",
      result: {
        rows: [
          { city: "Beijing", total: 13.5 },
          { city: "Shanghai", total: 7 },
        ],
        rowCount: 2,
        truncated: false,
      },
    });
    const prompt = JSON.stringify(requests.at(-1));
    expect(requests.at(-1)!.model).toBe("fixed");
    expect(prompt).toContain(sales.tableName);
    expect(prompt).toContain("amount DOUBLE");
    expect(prompt).toContain("city=Beijing");
    expect(prompt).toContain("DuckDB");
    expect(prompt).toContain("每个城市的销售总额是多少");
  });

  it("does not run the SQL unless asked, and questions may say select or update", async () => {
    answer = `\`\`\`sql\nSELECT count(*) AS n FROM ${sales.tableName}\n\`\`\``;
    const res = await ask({ question: "How many rows would a select or an update touch?" });
    expect(res.errors).toBeUndefined();
    expect(res.data!.askData.result).toBeNull();
    expect(res.data!.askData.tablesUsed).toEqual([sales.tableName]);
  });

  it("refuses unsafe SQL from the model, and SQL over unknown tables", async () => {
    answer = "```sql\nDROP TABLE " + sales.tableName + "\n```";
    const unsafe = await ask({ question: "Please select and update everything", execute: true });
    expect(unsafe.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(unsafe.errors?.[0]?.message).toMatch(/The model's SQL was refused/);
    answer = "```sql\nSELECT * FROM read_csv('/etc/passwd')\n```";
    const file = await ask({ question: "show the password file", execute: true });
    expect(file.errors?.[0]?.message).toMatch(/read_csv/);
    answer = "```sql\nSELECT * FROM salaries\n```";
    const unknown = await ask({ question: "salaries?" });
    expect(unknown.errors?.[0]?.message).toMatch(/unknown table salaries/);
    answer = "I cannot answer that from these tables.";
    const none = await ask({ question: "what is the weather?" });
    expect(none.errors?.[0]?.message).toMatch(/answered without SQL/);
    const badTable = await ask({ question: "x", tables: ["nope"] });
    expect(badTable.errors?.[0]?.extensions?.fields).toEqual({ tables: "not in the catalog: nope" });
  });

  it("says when the model does not exist or cannot be reached", async () => {
    const missing = await ask({ question: "total?", modelId: "missing" });
    expect(missing.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const down = await startHarness({ ODS_MODEL_URL: "http://127.0.0.1:9" });
    try {
      await down.putObject("uploads/ask/sales.csv", "city,amount\nBeijing,1\n");
      const ds = await registerDataset(down, "s", "uploads/ask/sales.csv");
      const res = await down.gql(alice, ASK, { input: { question: "total?", datasetIds: [ds.id], modelId: "fixed" } });
      expect(res.errors?.[0]?.extensions?.code).toBe("UPSTREAM_UNAVAILABLE");
    } finally {
      await down.close();
    }
  });
});

describe("ask history", () => {
  const HISTORY = /* GraphQL */ `
    query History($starred: Boolean) {
      askHistory(first: 50, starred: $starred) {
        totalCount
        edges {
          node {
            id
            question
            sql
            starred
            tablesUsed
            datasetIds
          }
        }
      }
    }
  `;
  type History = {
    askHistory: { totalCount: number; edges: { node: { id: string; question: string; starred: boolean } }[] };
  };

  it("keeps each user's questions: list, star, rerun, delete; others see nothing", async () => {
    answer = `\`\`\`sql\nSELECT max(amount) AS top FROM ${sales.tableName}\n\`\`\``;
    const asked = await ask({ question: "biggest sale?" });
    const id = asked.data!.askData.historyId;
    const mine = await h.gql<History>(alice, HISTORY);
    expect(mine.data!.askHistory.edges[0]!.node).toMatchObject({ id, question: "biggest sale?", starred: false });
    expect((await h.gql<History>(bob, HISTORY)).data!.askHistory.totalCount).toBe(0);

    const star = await h.gql(alice, "mutation($id: ID!) { starAskHistory(id: $id, starred: true) { starred } }", {
      id,
    });
    expect(star.data).toEqual({ starAskHistory: { starred: true } });
    const starred = await h.gql<History>(alice, HISTORY, { starred: true });
    expect(starred.data!.askHistory.edges.map((e) => e.node.id)).toEqual([id]);

    const rerun = await h.gql(alice, "mutation($id: ID!) { rerunAsk(id: $id) { sql result { rows } } }", { id });
    expect(rerun.errors).toBeUndefined();
    expect(rerun.data).toMatchObject({ rerunAsk: { result: { rows: [{ top: 10.5 }] } } });

    const stolen = await h.gql(bob, "mutation($id: ID!) { deleteAskHistory(id: $id) }", { id });
    expect(stolen.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const deleted = await h.gql(alice, "mutation($id: ID!) { deleteAskHistory(id: $id) }", { id });
    expect(deleted.data).toEqual({ deleteAskHistory: true });
    const after = await h.gql<History>(alice, HISTORY);
    expect(after.data!.askHistory.edges.some((e) => e.node.id === id)).toBe(false);
  });
});
