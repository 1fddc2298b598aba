/**
 * Structured data in the gateway's collection: a CSV (quoted commas included), a JSON array of
 * objects and the tables of a Markdown file become one document per row, posted to the real
 * gateway over HTTP; /search finds a row by one of its values and an answer cites it (document,
 * row number, fields). The node behind the gateway is down here (a closed port), so /generate
 * answers from search: the path where the gateway's own documents are the answer. Bad tables are
 * 400s that keep nothing. Without a vision model, an image document is found by its caption.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { createGateway, type Gateway } from "../src/gateway/index.ts";
import { markdownTables, TABLE_LIMITS, tableDocuments } from "../src/gateway/tables.ts";

let home: string;
let gateway: Gateway;
let url: string;

/** A port nobody listens on: taken from the OS, then given back. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

before(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), "ns-llm-tables-"));
  gateway = await createGateway({
    nodeUrls: [`http://127.0.0.1:${await closedPort()}`],
    home,
    client: { timeoutMs: 1_000, retry: { attempts: 1, initialDelayMs: 10, maxDelayMs: 20 }, healthCheckMs: 60_000 },
  });
  url = await gateway.app.listen({ host: "127.0.0.1", port: 0 });
});
after(async () => {
  await gateway?.close();
  await rm(home, { recursive: true, force: true });
});

async function post(route: string, body: unknown) {
  const response = await fetch(`${url}${route}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

const CSV = `name,city,instrument
Ada Lovelace,London,piano
"Marchetti, Giulia",Bologna,"cello, viola"
Kwame Mensah,Accra,talking drum
`;

describe("tables in the gateway's collection", { concurrency: false }, () => {
  test("a CSV row is found by search and cited in an answer (document, row number, fields)", async () => {
    const added = await post("/documents", { name: "players.csv", content: CSV });
    assert.equal(added.status, 200);
    assert.deepEqual([added.body.format, added.body.added, added.body.rows], ["csv", 3, 3]);

    // The quoted field kept its comma: one field, not two.
    const found = await post("/search", { query: "who plays the viola in Bologna?", k: 3 });
    assert.equal(found.status, 200);
    const top = found.body.results[0];
    assert.equal(top.id, "players.csv#row-2");
    assert.deepEqual(top.row, { document: "players.csv", row: 2, fields: { name: "Marchetti, Giulia", city: "Bologna", instrument: "cello, viola" } });
    assert.equal(top.text, "name: Marchetti, Giulia\ncity: Bologna\ninstrument: cello, viola");

    // The node is down: the answer comes from the collection and names the row it quotes.
    const answer = await post("/generate", { prompt: "Who plays the talking drum?" });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.source, "search");
    assert.match(answer.body.text, /\[players\.csv row 3\] name: Kwame Mensah\ncity: Accra\ninstrument: talking drum/);
    assert.deepEqual(answer.body.results[0].row, { document: "players.csv", row: 3, fields: { name: "Kwame Mensah", city: "Accra", instrument: "talking drum" } });
  });

  test("a JSON array of objects and the tables of a Markdown file are rows too; Markdown prose stays sections", async () => {
    const json = await post("/documents", {
      name: "stations.json",
      content: JSON.stringify([
        { station: "Halley VI", continent: "Antarctica", staff: 16 },
        { station: "Concordia", continent: "Antarctica", staff: 13, tags: ["dome", "ice core"] },
      ]),
    });
    assert.deepEqual([json.status, json.body.rows], [200, 2]);
    const concordia = (await post("/search", { query: "ice core dome station" })).body.results[0];
    assert.deepEqual(concordia.row, { document: "stations.json", row: 2, fields: { station: "Concordia", continent: "Antarctica", staff: "13", tags: '["dome","ice core"]' } });

    const markdown = "# Ferries\n\nTimetable of the lake ferries.\n\n| boat | leaves | pier |\n|---|:---:|---|\n| Ondine | 08:15 | North \\| East |\n| Mistral | 09:40 | South |\n\nBoats run in summer only.\n";
    const md = await post("/documents", { name: "ferries.md", content: markdown });
    assert.deepEqual([md.status, md.body.rows], [200, 2]);
    const mistral = (await post("/search", { query: "Mistral ferry" })).body.results[0];
    assert.deepEqual(mistral.row, { document: "ferries.md", row: 2, fields: { boat: "Mistral", leaves: "09:40", pier: "South" } });
    const prose = (await post("/search", { query: "summer only" })).body.results[0];
    assert.equal(prose.row, undefined);
    assert.match(prose.text, /Boats run in summer only/);
    assert.doesNotMatch(prose.text, /Mistral/);
  });

  test("bad tables are 400s that say why, and nothing of them is kept", async () => {
    const before = gateway.documents.count();
    const refused = async (body: unknown, why: RegExp) => {
      const r = await post("/documents", body);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.match(r.body.error.code, /^invalid_(table|request)$/);
      assert.match(r.body.error.message, why);
    };
    await refused({ name: "bad.csv", content: 'a,b\n1,"unclosed\n' }, /CSV cannot be parsed.*Quote Not Closed/i);
    await refused({ name: "ragged.csv", content: "a,b\n1,2\n3,4,5\n" }, /CSV cannot be parsed.*(fields|columns)/i);
    await refused({ name: "dup.csv", content: "a,a\n1,2\n" }, /names the column "a" twice/);
    await refused({ name: "wide.csv", content: `${Array.from({ length: TABLE_LIMITS.maxColumns + 1 }, (_, i) => `c${i}`).join(",")}\n${"x,".repeat(TABLE_LIMITS.maxColumns)}x\n` }, /51 columns; at most 50/);
    await refused({ name: "long.csv", content: `n\n${"1\n".repeat(TABLE_LIMITS.maxRows + 1)}` }, /2001 rows; a document may have at most 2000/);
    await refused({ name: "big.csv", content: `n\n${"x".repeat(TABLE_LIMITS.maxChars)}` }, /at most 524288/);
    await refused({ name: "obj.json", content: '{"not":"an array"}' }, /array of objects/);
    await refused({ name: "mixed.json", content: '[{"a":1}, 2]' }, /row 2 of the JSON is not an object/);
    await refused({ name: "broken.json", content: "[{" }, /JSON cannot be parsed/);
    await refused({ name: "notes.rtf", content: "a,b" }, /cannot tell the format/);
    await refused({ name: "x#row-1.csv", content: "a\n1\n" }, /without '#'/);
    assert.equal(gateway.documents.count(), before);
  });

  test("without a vision model, an image document is found by its caption and image queries are 503", async () => {
    // A 1x1 PNG.
    const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";
    const added = await post("/documents", { name: "lighthouse.png", content: `data:image/png;base64,${png}`, caption: "the lighthouse at dusk" });
    assert.deepEqual([added.status, added.body.format], [200, "image"]);
    const found = (await post("/search", { query: "lighthouse" })).body.results;
    assert.deepEqual([found[0].id, found[0].kind, found[0].text], ["lighthouse.png#image", "image", "the lighthouse at dusk"]);
    assert.ok(Number.isFinite(found[0].score) && found[0].score > 0);
    const byImage = await post("/search", { image: png });
    assert.deepEqual([byImage.status, byImage.body.error.code], [503, "vision_unavailable"]);
  });

  test("a Markdown table's header must name its columns", () => {
    assert.deepEqual(markdownTables("| a | b |\n| --- | --- |\n| 1 | 2 |\ntext").rows, [{ a: "1", b: "2" }]);
    assert.throws(() => tableDocuments("t.md", "markdown", "| a | |\n| --- | --- |\n| 1 | 2 |"), /empty column name/);
    // Two sections under one heading keep both (ids made unique as the corpus loader does).
    assert.deepEqual(tableDocuments("n.md", "markdown", "# Notes\none\n# Notes\ntwo").map((d) => d.id), ["n.md#notes", "n.md#notes~2"]);
  });
});
