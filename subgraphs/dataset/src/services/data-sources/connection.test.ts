import { describe, expect, it } from "vitest";
import { DataSourceKind } from "../../entities/data-source.js";
import { assertOutsideDataDir, parseConnection, parseDatabaseUrl, summarize } from "./connection.js";
import { uniqueNames } from "./driver.js";
import { jsonSafe } from "./json-safe.js";

describe("connections", () => {
  it("summarises a database URL without its password", () => {
    const connection = parseConnection(DataSourceKind.POSTGRES, { url: "postgres://ann:p%40ss@db.example:6543/sales" });
    expect(parseDatabaseUrl("postgres://ann:p%40ss@db.example:6543/sales")).toMatchObject({ password: "p@ss" });
    expect(summarize(connection)).toEqual({ host: "db.example", port: 6543, user: "ann", database: "sales" });
    expect(JSON.stringify(summarize(connection))).not.toContain("p@ss");
    expect(summarize(parseConnection(DataSourceKind.MYSQL, { url: "mysql://root@127.0.0.1/shop" }))).toMatchObject({
      port: 3306,
    });
  });

  it("names each wrong field of the connection", () => {
    expect(() => parseConnection(DataSourceKind.SQLITE, { path: "relative.db" })).toThrow(/connection.path/);
    expect(() => parseConnection(DataSourceKind.POSTGRES, {})).toThrow(/connection.url/);
    expect(() => parseConnection(DataSourceKind.S3, { endpoint: "ftp://x", accessKey: "a", secretKey: "b" })).toThrow(
      /connection.endpoint/,
    );
  });

  it("keeps SQLite sources out of the data folder", () => {
    expect(() => assertOutsideDataDir("/srv/ods/.data/identity.sqlite", "/srv/ods/.data")).toThrow(/data folder/);
    expect(() => assertOutsideDataDir("/srv/ods/.data", "/srv/ods/.data")).toThrow(/data folder/);
    expect(() => assertOutsideDataDir("/srv/ods/.data-other/x.db", "/srv/ods/.data")).not.toThrow();
  });
});

describe("results", () => {
  it("makes duplicate column names unique", () => {
    expect(uniqueNames(["id", "id", "name", "id"])).toEqual(["id", "id_2", "name", "id_3"]);
    expect(uniqueNames(["a", "a", "a_2"])).toEqual(["a", "a_2_", "a_2"]);
  });

  it("turns driver values into JSON-safe ones", () => {
    expect(jsonSafe(12n)).toBe(12);
    expect(jsonSafe(2n ** 60n)).toBe("1152921504606846976");
    expect(jsonSafe(new Date("2024-01-02T03:04:05Z"))).toBe("2024-01-02T03:04:05.000Z");
    expect(jsonSafe(Buffer.from("hi"))).toBe("aGk=");
    expect(jsonSafe({ a: [1n, Number.NaN] })).toEqual({ a: [1, "NaN"] });
  });
});
