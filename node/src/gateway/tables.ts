/**
 * Structured data as documents of the gateway's collection: a JSON array of objects, a CSV file
 * (header row first) or the tables of a Markdown file. Each row is one searchable unit whose text
 * is its fields as "field: value" lines, and which keeps where it came from (document name, row
 * number, fields) so that an answer quoting it can cite it.
 *
 * Everything is checked before anything is kept: a table over the bounds below, a CSV the parser
 * refuses or a JSON that is not an array of objects is an `invalid_table` error (HTTP 400) naming
 * the row, and the store is not touched.
 *
 * CSV is parsed by csv-parse (RFC 4180: quoted fields, embedded commas, quotes and newlines,
 * BOMs), a parser kept by the node-csv project since 2010; hand-splitting on commas gets quoted
 * fields wrong.
 */
import { CsvError, parse } from "csv-parse/sync";
import { NsLlmError } from "../errors.ts";
import { markdownSections } from "../search/index.ts";
import type { SearchDocument, TableRow } from "../search/index.ts";

export type TableFormat = "csv" | "json" | "markdown";

/** Bounds that keep one table from filling the collection (and the index that embeds every row). */
export const TABLE_LIMITS = {
  /** Characters of the whole document. */
  maxChars: 512 * 1024,
  /** Rows of one document (all its tables together). */
  maxRows: 2_000,
  /** Columns (fields) of one row. */
  maxColumns: 50,
  /** Characters of one field's name or value. */
  maxCellChars: 2_000,
} as const;

export class TableError extends NsLlmError<"invalid_table"> {
  constructor(message: string, hint?: string) {
    super("invalid_table", message, { hint });
  }
}

/** The format a file name's extension says, or undefined. */
export function formatOfName(name: string): TableFormat | undefined {
  const ext = /\.([a-z]+)$/i.exec(name)?.[1]?.toLowerCase();
  return ext === "csv" ? "csv" : ext === "json" ? "json" : ext === "md" || ext === "markdown" ? "markdown" : undefined;
}

/**
 * The documents of one structured file: one per row (id `<name>#row-<n>`, n from 1 in reading
 * order), and for Markdown also its text outside tables, cut into sections as any Markdown is.
 */
export function tableDocuments(name: string, format: TableFormat, content: string): SearchDocument[] {
  if (content.length > TABLE_LIMITS.maxChars) {
    throw new TableError(`"${name}" is ${content.length} characters; a document may have at most ${TABLE_LIMITS.maxChars}`, "split it into several documents");
  }
  if (format === "markdown") {
    const { rows, prose } = markdownTables(content);
    // Two sections under the same heading get the same id: `~2`, `~3`... as the corpus loader does.
    const seen = new Set<string>();
    const sections = markdownSections(name, prose).map((d) => {
      let id = d.id;
      for (let n = 2; seen.has(id); n++) id = `${d.id}~${n}`;
      seen.add(id);
      return { ...d, id };
    });
    return [...sections, ...rowDocuments(name, rows)];
  }
  const rows = format === "csv" ? csvRows(content) : jsonRows(content);
  if (rows.length === 0) throw new TableError(`"${name}" has no rows`);
  return rowDocuments(name, rows);
}

function rowDocuments(name: string, rows: Array<Record<string, string>>): SearchDocument[] {
  if (rows.length > TABLE_LIMITS.maxRows) {
    throw new TableError(`"${name}" has ${rows.length} rows; a document may have at most ${TABLE_LIMITS.maxRows}`, "split it into several documents");
  }
  return rows.map((fields, i) => {
    const row: TableRow = { document: name, row: i + 1, fields: checkedFields(fields, i + 1) };
    const text = Object.entries(row.fields)
      .filter(([, v]) => v !== "")
      .map(([k, v]) => `${k}: ${v}`)
      .join("\n");
    return { id: `${name}#row-${row.row}`, title: `${name} row ${row.row}`, text, row };
  });
}

function checkedFields(fields: Record<string, string>, row: number): Record<string, string> {
  const entries = Object.entries(fields);
  if (entries.length > TABLE_LIMITS.maxColumns) throw new TableError(`row ${row} has ${entries.length} fields; at most ${TABLE_LIMITS.maxColumns} are allowed`);
  for (const [k, v] of entries) {
    if (k.length > TABLE_LIMITS.maxCellChars || v.length > TABLE_LIMITS.maxCellChars) {
      throw new TableError(`row ${row}, field "${k.slice(0, 40)}": longer than ${TABLE_LIMITS.maxCellChars} characters`);
    }
  }
  return fields;
}

function csvRows(content: string): Array<Record<string, string>> {
  let records: string[][];
  try {
    // Arrays, not objects: a header naming a column twice would otherwise silently lose one.
    records = parse(content, { bom: true, skip_empty_lines: true, trim: true, max_record_size: TABLE_LIMITS.maxCellChars * TABLE_LIMITS.maxColumns });
  } catch (error) {
    if (error instanceof CsvError) throw new TableError(`the CSV cannot be parsed: ${error.message}`, "quote fields that hold commas, quotes or newlines; every row needs as many fields as the header");
    throw error;
  }
  const [header, ...data] = records;
  if (!header) return [];
  return data.map((r) => toFields(header, r));
}

/** A header row and a data row as fields; the header must name every column once. */
function toFields(header: string[], cells: string[]): Record<string, string> {
  if (header.length > TABLE_LIMITS.maxColumns) throw new TableError(`the header has ${header.length} columns; at most ${TABLE_LIMITS.maxColumns} are allowed`);
  const seen = new Set<string>();
  for (const h of header) {
    if (h === "") throw new TableError("the header row has an empty column name", "name every column in the first row");
    if (seen.has(h)) throw new TableError(`the header names the column "${h.slice(0, 40)}" twice`);
    seen.add(h);
  }
  return Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ""]));
}

function jsonRows(content: string): Array<Record<string, string>> {
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch (error) {
    throw new TableError(`the JSON cannot be parsed: ${(error as Error).message}`);
  }
  if (!Array.isArray(value)) throw new TableError("a JSON document must be an array of objects (one per row)");
  if (value.length > TABLE_LIMITS.maxRows) throw new TableError(`the JSON has ${value.length} rows; a document may have at most ${TABLE_LIMITS.maxRows}`, "split it into several documents");
  return value.map((item, i) => {
    if (item === null || typeof item !== "object" || Array.isArray(item)) throw new TableError(`row ${i + 1} of the JSON is not an object`);
    // Nested values are kept as their JSON text: still searchable, and the row still cites them.
    return Object.fromEntries(Object.entries(item as Record<string, unknown>).map(([k, v]) => [k, typeof v === "string" ? v : v === null ? "" : JSON.stringify(v)]));
  });
}

/**
 * The rows of every pipe table in `markdown` (GitHub style: a header row, a `---` delimiter row,
 * then data rows) and the text that is not in a table.
 */
export function markdownTables(markdown: string): { rows: Array<Record<string, string>>; prose: string } {
  const lines = markdown.split(/\r?\n/);
  const rows: Array<Record<string, string>> = [];
  const prose: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const header = lines[i]!;
    if (isTableLine(header) && i + 1 < lines.length && /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(lines[i + 1]!)) {
      const names = cellsOf(header);
      i += 2;
      for (; i < lines.length && isTableLine(lines[i]!); i++) rows.push(toFields(names, cellsOf(lines[i]!)));
      i--;
    } else prose.push(header);
  }
  return { rows, prose: prose.join("\n") };
}

const isTableLine = (line: string) => /^\s*\|.*\|\s*$/.test(line) || (line.includes("|") && line.trim() !== "" && !/^\s*(#|```)/.test(line) && /\S\s*\|\s*\S/.test(line));

/** The cells of a pipe-table line; `\|` is a pipe inside a cell. */
function cellsOf(line: string): string[] {
  const trimmed = line.trim().replace(/^\|/, "").replace(/(?<!\\)\|$/, "");
  return trimmed.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, "|"));
}
