// Catalog search, sort and pagination against a real migrated SQLite file.
import { describe, expect, it } from "vitest";
import { demoProducts } from "#app/db/demo-products.ts";
import { products } from "#app/db/schema.ts";
import { listProducts, PAGE_SIZE, toFtsQuery } from "#app/store/products.server.ts";
import { seededDatabase } from "#tests/helpers/db.ts";

const names = (result: { items: { name: string }[] }) => result.items.map((p) => p.name);

describe("turning shopper input into an FTS5 query", () => {
  it("quotes every word as a term and drops FTS5 syntax", () => {
    expect(toFtsQuery("mug")).toBe('"mug"*');
    expect(toFtsQuery("  Brass  PEN ")).toBe('"brass"* "pen"*');
    expect(toFtsQuery('"mug" OR desk* NEAR(x) -lamp ^col:val')).toBe('"mug"* "desk"* "near"* "x" "lamp"* "col"* "val"*');
    expect(toFtsQuery("café crème")).toBe('"café"* "crème"*');
    expect(toFtsQuery("***")).toBeNull();
    expect(toFtsQuery("")).toBeNull();
  });

  it("matches short words whole and leaves out filler words", () => {
    expect(toFtsQuery("a 12 cm planter for the desk")).toBe('"12" "cm" "planter"* "desk"*');
    expect(toFtsQuery("m")).toBe('"m"');
    expect(toFtsQuery("the and of")).toBeNull();
  });

  it("keeps at most 8 terms of at most 40 characters", () => {
    const query = toFtsQuery(`${"x".repeat(500)} ${"b c d e f g h i j k"}`)!;
    expect(query.split(" ")).toHaveLength(8);
    expect(query.startsWith(`"${"x".repeat(40)}"*`)).toBe(true);
  });
});

describe("searching the catalog", () => {
  it("finds products by name and description, by word prefix, ignoring case and accents", () => {
    const db = seededDatabase();
    expect(names(listProducts(db, { query: "mug" }))).toEqual(
      expect.arrayContaining(["Stoneware Mug", "Pour-Over Dripper"]), // the dripper "fits most mugs"
    );
    expect(listProducts(db, { query: "mug" }).total).toBe(2);
    expect(names(listProducts(db, { query: "CANDLE holder" }))).toEqual(["Brass Candle Holder"]);
    expect(names(listProducts(db, { query: "notebo" }))).toEqual(
      expect.arrayContaining(["Linen Notebook", "Pocket Notebook Set"]),
    );
    expect(listProducts(db, { query: "glazé" }).total).toBe(2); // "glaze" and "glazed"
  });

  it("says nothing matched, without failing, for any input", () => {
    const db = seededDatabase();
    const hostile = ['"', "'", "*", "(", ")", "NEAR(", "mug OR", "AND", "-", "^", ":", "\\", "%", "_", "\u0000", "🙂", "x".repeat(5000)];
    for (const query of hostile) {
      const result = listProducts(db, { query });
      expect(result.items.length).toBe(result.total > PAGE_SIZE ? PAGE_SIZE : result.total);
    }
    expect(listProducts(db, { query: "zeppelin" })).toMatchObject({ items: [], total: 0, page: 1, pageCount: 1 });
    expect(listProducts(db, { query: "?!" })).toMatchObject({ items: [], total: 0, query: "?!" });
    expect(listProducts(db, { query: "for the" })).toMatchObject({ items: [], total: 0, query: "for the" });
    expect(listProducts(db, { query: "12 cm planter" }).items.map((p) => p.slug)).toEqual(["ceramic-planter"]);
  });

  it("treats a blank query as no search", () => {
    const db = seededDatabase();
    expect(listProducts(db, { query: "   " })).toMatchObject({ total: demoProducts.length, query: "", sort: "newest" });
  });
});

describe("sorting and paging", () => {
  it("sorts by price both ways and by newest, breaking ties by id", () => {
    const db = seededDatabase();
    const all = (sort: string) => {
      const first = listProducts(db, { sort });
      const rest = listProducts(db, { sort, page: 2 });
      return [...first.items, ...rest.items];
    };
    const byPrice = all("price-asc").map((p) => p.priceCents);
    expect(byPrice).toEqual([...byPrice].sort((a, b) => a - b));
    const byPriceDesc = all("price-desc").map((p) => p.priceCents);
    expect(byPriceDesc).toEqual([...byPriceDesc].sort((a, b) => b - a));
    expect(byPrice).toHaveLength(demoProducts.length);

    db.insert(products)
      .values({ slug: "new-thing", sku: "TEST-NEW", name: "New Thing", description: "Just in.", priceCents: 100, stock: 1, image: "/x.svg", createdAt: new Date(Date.now() + 60_000) })
      .run();
    expect(listProducts(db, { sort: "newest" }).items[0]!.slug).toBe("new-thing");
  });

  it("ranks by relevance only for a search, and ignores unknown sorts", () => {
    const db = seededDatabase();
    expect(listProducts(db, { query: "mug" }).sort).toBe("relevance");
    expect(listProducts(db, { query: "mug", sort: "price-desc" }).sort).toBe("price-desc");
    expect(names(listProducts(db, { query: "mug", sort: "price-desc" }))).toEqual(["Pour-Over Dripper", "Stoneware Mug"]);
    expect(listProducts(db, { sort: "relevance" }).sort).toBe("newest");
    expect(listProducts(db, { sort: "; DROP TABLE products" }).sort).toBe("newest");
    // The name match outranks a mention in a description.
    expect(names(listProducts(db, { query: "mug" }))[0]).toBe("Stoneware Mug");
  });

  it("pages through search results without overlap and clamps out-of-range pages", () => {
    const db = seededDatabase();
    db.insert(products)
      .values(
        Array.from({ length: 30 }, (_, i) => ({
          slug: `teapot-${i}`,
          sku: `TEST-TEAPOT-${i}`,
          name: `Teapot ${i}`,
          description: "A teapot.",
          priceCents: 1000 + i,
          stock: 5,
          image: "/x.svg",
        })),
      )
      .run();
    const first = listProducts(db, { query: "teapot", sort: "price-asc" });
    expect(first).toMatchObject({ total: 30, pageCount: 3, page: 1 });
    const pages = [1, 2, 3].flatMap((page) => listProducts(db, { query: "teapot", sort: "price-asc", page }).items);
    expect(new Set(pages.map((p) => p.id)).size).toBe(30);
    expect(pages.map((p) => p.priceCents)).toEqual(Array.from({ length: 30 }, (_, i) => 1000 + i));
    expect(listProducts(db, { query: "teapot", page: 99 }).page).toBe(3);
    expect(listProducts(db, { query: "teapot", page: Number.NaN }).page).toBe(1);
  });
});
