import { describe, expect, it } from "vitest";
import { groupNodeTypes, paletteGroupOf } from "../../src/graph/palette";
import type { NodeTypeInfo } from "../../src/api/types";

const t = (type: string, category: NodeTypeInfo["category"], title = type): NodeTypeInfo => ({
  type, category, title, description: `${title} description`, config_schema: {},
});
const types = [
  t("python.map", "transform", "Python map"),
  t("store.read", "source", "Read store"),
  t("store.write", "sink", "Write store"),
  t("labeling.enrich", "transform", "Labeling enrich"),
  t("slack.post", "transform", "Slack post"),
  t("webhook.post", "sink", "Webhook post"),
  t("http.scrape", "source", "Scrape"),
];

describe("palette", () => {
  it("groups by category and type family", () => {
    expect(paletteGroupOf(types[0])).toBe("Transforms");
    expect(paletteGroupOf(types[1])).toBe("Sources");
    expect(paletteGroupOf(types[2])).toBe("Outputs");
    expect(paletteGroupOf(types[3])).toBe("Enrichment");
    expect(paletteGroupOf(types[4])).toBe("Outputs");
  });
  it("lists groups in palette order with sorted titles", () => {
    const groups = groupNodeTypes(types);
    expect(groups.map((g) => g.group)).toEqual(["Sources", "Transforms", "Enrichment", "Outputs"]);
    expect(groups[0].types.map((x) => x.type)).toEqual(["store.read", "http.scrape"]);
  });
  it("filters by every search word", () => {
    const groups = groupNodeTypes(types, "post slack");
    expect(groups).toHaveLength(1);
    expect(groups[0].types.map((x) => x.type)).toEqual(["slack.post"]);
  });
});
