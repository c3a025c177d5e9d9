import { describe, expect, it } from "vitest";
import { allows, ResourceAccess, whereThrough } from "./sharing-service.js";

describe("whereThrough", () => {
  it("nests a scope under the relation path", () => {
    const scope = { $or: [{ ownerId: "u1" }, { id: { $in: ["k1"] } }] };
    expect(whereThrough({ id: "c1" }, "document.knowledgeBase", scope)).toEqual({
      id: "c1",
      document: { knowledgeBase: scope },
    });
  });

  it("adds no condition for an admin's empty scope", () => {
    expect(whereThrough({ id: "e1" }, "workflow", {})).toEqual({ id: "e1" });
  });
});

describe("allows", () => {
  it("ranks viewer below editor below owner, and an admin as an owner", () => {
    expect(allows(ResourceAccess.VIEWER, ResourceAccess.EDITOR)).toBe(false);
    expect(allows(ResourceAccess.EDITOR, ResourceAccess.EDITOR)).toBe(true);
    expect(allows(ResourceAccess.EDITOR, ResourceAccess.OWNER)).toBe(false);
    expect(allows(ResourceAccess.ADMIN, ResourceAccess.OWNER)).toBe(true);
    expect(allows(null, ResourceAccess.VIEWER)).toBe(false);
  });
});
