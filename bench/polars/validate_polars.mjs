// The validate benchmark's Polars baseline: the same suite (bench/validate-suite.json) written as Polars expressions,
// evaluated in one lazy query over scanCSV (Polars reads in parallel and computes every aggregate in one plan).
// Prints one JSON line like the .NET and pandas sides: seconds (read + checks, in process), rows per second, peak RSS.
//   node bench/polars/validate_polars.mjs FILE SUITE.json [REPEAT]
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const pl = require("nodejs-polars");
const polarsVersion = JSON.parse(readFileSync(new URL("./node_modules/nodejs-polars/package.json", import.meta.url))).version;

const [file, suitePath, repeat = "1"] = process.argv.slice(2);
const suite = JSON.parse(readFileSync(suitePath, "utf8"));
const expectations = suite.validation.expectations;
const types = suite.validation.columnTypes ?? {};

/** One expectation as named Polars aggregates, and how to judge them once collected. */
function plan(e, i) {
  const c = e.column && pl.col(e.column);
  const between = (x) => (e.min == null || x >= e.min) && (e.max == null || x <= e.max);
  const mostly = e.mostly ?? 1;
  const share = (okExpr) => [okExpr.cast(pl.Float64).sum().alias(`ok${i}`), c.count().alias(`n${i}`)];
  const byShare = (r) => r[`n${i}`] === 0 || r[`ok${i}`] / r[`n${i}`] >= mostly;
  switch (e.expectation) {
    case "expect_table_row_count_to_be_between": return { exprs: [pl.len().alias(`v${i}`)], ok: (r) => between(r[`v${i}`]) };
    case "expect_table_columns_to_match_ordered_list": return { exprs: [], ok: (_, columns) => JSON.stringify(columns) === JSON.stringify(e.columns) };
    case "expect_column_values_to_not_be_null": return { exprs: [c.isNull().sum().alias(`v${i}`)], ok: (r) => r[`v${i}`] === 0 };
    case "expect_column_values_to_be_between": {
      let ok = c;
      ok = e.min != null ? ok.gtEq(e.min) : ok.isNotNull();
      if (e.max != null) ok = ok.and(c.ltEq(e.max));
      return { exprs: share(ok), ok: byShare };
    }
    case "expect_column_values_to_be_of_type": {
      const x = c.cast(pl.Float64);
      return { exprs: share(e.type === "integer" ? x.isFinite().and(x.eq(x.floor())) : x.isFinite()), ok: byShare };
    }
    case "expect_column_values_to_be_in_set": return { exprs: share(c.cast(pl.Utf8).isIn(e.values)), ok: byShare };
    case "expect_column_values_to_match_regex": return { exprs: share(c.cast(pl.Utf8).str.contains(e.regex)), ok: byShare };
    case "expect_column_distinct_values_to_equal_set":
      // Equal sets: every value is one of the set's, and as many distinct values as the set has.
      return { exprs: [c.cast(pl.Utf8).isIn(e.values).all().alias(`a${i}`), c.nUnique().alias(`u${i}`)],
               ok: (r) => r[`a${i}`] && r[`u${i}`] === new Set(e.values).size };
    case "expect_column_unique_value_count_to_be_between": return { exprs: [c.nUnique().alias(`v${i}`)], ok: (r) => between(r[`v${i}`]) };
    case "expect_column_mean_to_be_between": return { exprs: [c.mean().alias(`v${i}`)], ok: (r) => between(r[`v${i}`]) };
    case "expect_column_stdev_to_be_between": return { exprs: [c.std().alias(`v${i}`)], ok: (r) => between(r[`v${i}`]) };
    case "expect_column_median_to_be_between": return { exprs: [c.median().alias(`v${i}`)], ok: (r) => between(r[`v${i}`]) };
    case "expect_column_min_to_be_between": return { exprs: [c.min().alias(`v${i}`)], ok: (r) => between(r[`v${i}`]) };
    case "expect_column_max_to_be_between": return { exprs: [c.max().alias(`v${i}`)], ok: (r) => between(r[`v${i}`]) };
    default: throw new Error(`unknown expectation ${e.expectation}`);
  }
}

function run() {
  const start = process.hrtime.bigint();
  const lazy = pl.scanCSV(file, { dtypes: { segment: pl.Utf8, label: pl.Utf8 } });
  const columns = lazy.columns;
  const plans = expectations.map(plan);
  // The built-in checks MlOps applies to every dataset: numeric features are finite numbers.
  const numeric = columns.filter((c) => c !== "label" && ["number", "integer"].includes(types[c] ?? "number"));
  const builtin = numeric.map((c, k) => pl.col(c).cast(pl.Float64).isFinite().all().alias(`b${k}`));
  const row = lazy.select(...plans.flatMap((p) => p.exprs), ...builtin).collectSync().toRecords()[0];
  const failed = expectations.filter((e, i) => !plans[i].ok(row, columns)).map((e) => `${e.expectation}(${e.column ?? "None"})`);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const rows = Number(row.v0);
  console.log(JSON.stringify({
    tool: "polars", rows, seconds, rows_per_second: rows / seconds,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024, suite_expectations: expectations.length,
    builtin_ok: numeric.every((_, k) => row[`b${k}`]), failed, polars: polarsVersion, threads: pl.threadPoolSize?.() ?? null,
  }));
}

for (let i = 0; i < Number(repeat); i++) run();
